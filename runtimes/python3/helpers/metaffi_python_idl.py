"""Prints the MetaFFI IDL (JSON) of a Python module, as the interpreter itself sees it.

Usage: python3 metaffi_python_idl.py <file.py | package folder | module name>

The module is imported the way the python3 runtime plugin imports it (metaffi_python_helper's
load_module), then read with inspect: functions and their signatures, type hints, defaults,
classes (constructors, methods, static and class methods, properties, class and instance
attributes), module attributes and docstrings. Type hints become MetaFFI types:

    int -> int64, float -> float64, str -> string8, bool -> bool, bytes -> uint8[],
    list[X] / Sequence[X] / tuple[X, ...] -> X[], tuple[A, B] (a return) -> two return values,
    Callable -> callable, a class -> handle (its qualified name as the alias),
    Optional[Class] -> handle that may be None, anything else or no hint -> any.

Errors go to stderr as one line, with exit status 2 for bad input and 1 for an exception
while importing the module.
"""

import ast
import collections.abc
import inspect
import json
import math
import os
import sys
import textwrap
import types
import typing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metaffi_python_helper as helper  # noqa: E402  (the runtime's own module loading)

BASIC = {int: "int64", float: "float64", str: "string8", bool: "bool"}
SEQUENCES = (list, tuple, set, frozenset, collections.abc.Sequence, collections.abc.MutableSequence,
             collections.abc.Iterable, collections.abc.Collection)


def arg(name, type_, dims=0, alias="", optional=False, tags=None, comment=""):
    return {"name": name, "type": type_, "type_alias": alias, "comment": comment,
            "tags": tags or {}, "dimensions": dims, "is_optional": optional}


def belongs(obj, module):
    """Defined in the module, or in a submodule of the package (and exported by it)."""
    name = getattr(obj, "__module__", None)
    return isinstance(name, str) and (name == module.__name__ or name.startswith(module.__name__ + "."))


def alias_of(cls, module):
    if belongs(cls, module):
        return cls.__qualname__
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', getattr(cls, '__name__', '?'))}"


def hint_text(hint):
    if hint is inspect.Parameter.empty:
        return ""
    if isinstance(hint, type):
        return hint.__qualname__ if hint.__module__ == "builtins" else f"{hint.__module__}.{hint.__qualname__}"
    return str(hint).replace("typing.", "")


def map_type(hint, module, owner=None):
    """(type, dims, alias, optional) for a type hint."""
    text = hint_text(hint)
    if hint is inspect.Parameter.empty or hint is typing.Any or hint is object:
        return ("any", 0, text, False)
    if hint is None or hint is type(None):
        return ("null", 0, "None", False)
    if isinstance(hint, str):  # a hint left as text: evaluate it in the module
        try:
            return map_type(eval(hint, dict(vars(module))), module, owner)  # noqa: S307
        except Exception:  # noqa: BLE001
            return ("any", 0, hint, False)
    if getattr(typing, "Self", None) is not None and hint is getattr(typing, "Self"):
        return ("handle", 0, owner.__qualname__ if owner else "", False) if owner else ("any", 0, "Self", False)
    if hint in BASIC:
        return (BASIC[hint], 0, hint.__name__, False)
    if hint in (bytes, bytearray):
        return ("uint8", 1, hint.__name__, False)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(types, "UnionType", None)):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            t = map_type(rest[0], module, owner)
            if t[0] == "handle" and t[1] == 0:
                return ("handle", 0, t[2], True)
        return ("any", 0, text, False)
    if origin is collections.abc.Callable or hint is collections.abc.Callable or hint is typing.Callable:
        return ("callable", 0, text, False)
    if origin in SEQUENCES or hint in (list, tuple, set, frozenset):
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(set(args)) != 1:
                return ("any", 1, text, False)
            args = (args[0],)
        if not args:
            return ("any", 1, text, False)
        inner = map_type(args[0], module, owner)
        if inner[0] in ("null", "callable") or inner[3]:
            return ("any", 1, text, False)
        if inner[0] == "any" and inner[1] > 0:
            return ("any", 1, text, False)
        return (inner[0], inner[1] + 1, inner[2] if inner[0] == "handle" else text, False)
    if origin in (dict, collections.abc.Mapping, collections.abc.MutableMapping) or hint in (dict,):
        return ("any", 0, text, False)
    if isinstance(hint, typing.TypeVar):
        return ("any", 0, text, False)
    if inspect.isclass(hint):
        return ("handle", 0, alias_of(hint, module), False)
    return ("any", 0, text, False)


def hints_of(fn):
    try:
        return typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001  (unresolvable hints: fall back to what is written)
        return dict(getattr(fn, "__annotations__", {}) or {})


def json_default(value):
    """The default as JSON text, when it is a plain literal; else None."""
    if value is None or isinstance(value, (bool, str)):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def doc_of(obj):
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def signature_of(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def functions_for(name, fn, path, module, owner=None, self_param=False, comment=None):
    """IDL functions for one callable: one, or one per arity when a default value is not a
    plain literal (the shorter forms let Python fill in the defaults)."""
    sig = signature_of(fn)
    if sig is None:
        return []
    if inspect.isclass(fn):
        init = fn.__dict__.get("__init__") or getattr(fn, "__init__", None)
        hints = hints_of(init) if inspect.isfunction(init) else {}
    else:
        hints = hints_of(fn)
    params, varargs, named = [], None, None
    if self_param:
        params.append(arg("this_instance", "handle", 0, owner.__qualname__))
    first_default = None
    literal_defaults = True
    plist = list(sig.parameters.values())
    if self_param and plist and plist[0].kind in (plist[0].POSITIONAL_ONLY, plist[0].POSITIONAL_OR_KEYWORD):
        plist = plist[1:]
    for p in plist:
        hint = hints.get(p.name, p.annotation)
        t, dims, alias, optional = map_type(hint, module, owner)
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            tags = {}
            if p.default is not p.empty:
                if first_default is None:
                    first_default = len(params)
                text = json_default(p.default)
                if text is None:
                    literal_defaults = False
                else:
                    if p.default is None and t not in ("any", "null") and not optional:
                        t, dims, optional = "any", 0, False
                    tags["default"] = text
                optional = True
            params.append(arg(p.name, t, dims, alias, optional, tags))
        elif p.kind == p.VAR_POSITIONAL:
            if hint is p.empty:
                t, dims = "any", 0
            varargs = arg(p.name, t, dims + 1, alias, tags={"varargs": "true"})
        elif p.kind == p.VAR_KEYWORD:  # **kwargs (and keyword-only ones): one object of named arguments
            named = p.name
        elif named is None:
            named = "options"
    ret_hint = hints.get("return", sig.return_annotation)
    rets = []
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        rets.append(arg("ret", "any", 0, "coroutine"))  # the coroutine object itself
    elif ret_hint is not None and ret_hint is not type(None):
        origin, args = typing.get_origin(ret_hint), typing.get_args(ret_hint)
        if origin is tuple and len(args) > 1 and args[1] is not Ellipsis:
            for i, a in enumerate(args):
                t, dims, alias, optional = map_type(a, module, owner)
                rets.append(arg(f"ret{i}", t, dims, alias, optional))
        else:
            t, dims, alias, optional = map_type(ret_hint, module, owner)
            if t == "null":
                t = "any"
            rets.append(arg("ret", t, dims, alias, optional))
    tail = ([varargs] if varargs else []) + \
           ([arg(named, "any", 0, "dict", tags={"named_args": "true"})] if named else [])
    entity = dict(path)
    if varargs:
        entity["varargs"] = "true"
    if named:
        entity["named_args"] = "true"
    doc = comment if comment is not None else doc_of(fn)
    base = {"name": name, "comment": doc, "tags": {}, "entity_path": entity, "return_values": rets}
    if self_param:
        base["instance_required"] = True
    if literal_defaults or first_default is None:
        return [dict(base, parameters=params + tail, overload_index=0)]
    out = []
    for i, n in enumerate(range(first_default, len(params) + 1)):
        shortened = [dict(p, is_optional=False, tags={}) for p in params[:n]]
        out.append(dict(base, parameters=shortened + tail, overload_index=i))
    return out


def field(name, type_info, getter, setter, comment=""):
    t, dims, alias, optional = type_info
    f = arg(name, t, dims, alias, optional, comment=comment)
    f["getter"] = getter
    f["setter"] = setter
    return f


def accessor(name, path, params, rets, instance):
    f = {"name": name, "comment": "", "tags": {}, "entity_path": path, "parameters": params,
         "return_values": rets, "overload_index": 0}
    if instance:
        f["instance_required"] = True
    return f


def value_type(value, module):
    if isinstance(value, bool):
        return ("bool", 0, "bool", False)
    if isinstance(value, int):
        return ("int64", 0, "int", False)
    if isinstance(value, float):
        return ("float64", 0, "float", False)
    if isinstance(value, str):
        return ("string8", 0, "str", False)
    if isinstance(value, (bytes, bytearray)):
        return ("uint8", 1, type(value).__name__, False)
    if belongs(type(value), module):
        return ("handle", 0, type(value).__qualname__, False)
    return ("any", 0, type(value).__name__, False)


def attribute_fields(owner_path, names, container, module, instance, owner, annotations):
    out = []
    for n in names:
        if n in annotations:
            t = map_type(annotations[n], module, owner)
        elif not instance and hasattr(container, n):
            t = value_type(getattr(container, n), module)
        else:
            t = ("any", 0, "", False)
        dotted = f"{owner_path}.{n}" if owner_path else n
        this = [arg("this_instance", "handle", 0, owner.__qualname__)] if instance else []
        value = arg(n, t[0], t[1], t[2], t[3])
        path_get = {"attribute": dotted, "getter": "true"}
        path_set = {"attribute": dotted, "setter": "true"}
        if instance:
            path_get["instance_required"] = path_set["instance_required"] = "true"
        getter = accessor(f"get_{n}", path_get, list(this), [dict(value, name="value")], instance)
        setter = accessor(f"set_{n}", path_set, this + [value], [], instance)
        out.append(field(n, t, getter, setter))
    return out


def init_assigned(cls):
    """Names assigned as self.<name> = ... in __init__ (instance attributes), with the type
    hint of the __init__ parameter assigned to it, when that is what is assigned."""
    init = cls.__dict__.get("__init__")
    if not inspect.isfunction(init):
        return {}
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    except (OSError, TypeError, SyntaxError):
        return {}
    hints = hints_of(init)
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        for t in targets:
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self" and t.attr not in names:
                hint = hints.get(value.id, inspect.Parameter.empty) if isinstance(value, ast.Name) else inspect.Parameter.empty
                names[t.attr] = hint
    return names


def public(name):
    return not name.startswith("_")


def extract_class(cls, module):
    qual = cls.__qualname__
    c = {"name": qual, "comment": doc_of(cls), "tags": {}, "entity_path": {"callable": qual},
         "constructors": [], "release": None, "methods": [], "fields": []}
    init = cls.__init__ if cls.__init__ is not object.__init__ else None
    ctor = functions_for(qual, cls, {"callable": qual}, module, owner=cls,
                         comment=doc_of(init) if init and doc_of(init) else "")
    for k in ctor:
        k["return_values"] = [arg("ret", "handle", 0, qual)]
    c["constructors"] = ctor
    ordered = {}
    for klass in reversed(cls.__mro__):
        if klass is object or klass.__module__ == "builtins":
            continue
        for n in klass.__dict__:
            ordered.setdefault(n, None)
    annotations = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__ != "builtins":
            try:
                annotations.update(typing.get_type_hints(klass))
            except Exception:  # noqa: BLE001
                annotations.update(klass.__dict__.get("__annotations__", {}))
    instance_names = [n for n in annotations if public(n)]
    class_attrs = []
    for n in ordered:
        if not public(n):
            continue
        raw = inspect.getattr_static(cls, n)
        if isinstance(raw, property):
            hints = hints_of(raw.fget) if raw.fget else {}
            t = map_type(hints.get("return", inspect.Parameter.empty), module, cls)
            this = [arg("this_instance", "handle", 0, qual)]
            value = arg(n, t[0], t[1], t[2], t[3])
            getter = accessor(f"get_{n}", {"callable": f"{qual}.{n}.fget", "instance_required": "true"},
                              list(this), [dict(value, name="value")], True) if raw.fget else None
            setter = accessor(f"set_{n}", {"callable": f"{qual}.{n}.fset", "instance_required": "true"},
                              this + [value], [], True) if raw.fset else None
            c["fields"].append(field(n, t, getter, setter, doc_of(raw) if raw.__doc__ else ""))
        elif isinstance(raw, (staticmethod, classmethod)):
            fn = getattr(cls, n)
            c["methods"].extend(functions_for(n, fn, {"callable": f"{qual}.{n}"}, module, owner=cls,
                                              comment=doc_of(raw.__func__)))
        elif inspect.isfunction(raw):
            c["methods"].extend(functions_for(n, raw, {"callable": f"{qual}.{n}", "instance_required": "true"},
                                              module, owner=cls, self_param=True))
        elif (inspect.ismemberdescriptor(raw) or inspect.isgetsetdescriptor(raw)
              or isinstance(raw, types.DynamicClassAttribute) or not hasattr(cls, n)):
            if n not in instance_names:
                instance_names.append(n)  # __slots__ and C-level attributes: per object
        elif inspect.isclass(raw) or callable(raw):
            continue
        elif n not in instance_names:
            class_attrs.append(n)
    for n, hint in init_assigned(cls).items():
        if not public(n) or (n in ordered and n not in instance_names):
            continue
        if n not in instance_names:
            instance_names.append(n)
        if hint is not inspect.Parameter.empty and n not in annotations:
            annotations[n] = hint
    c["fields"].extend(attribute_fields(qual, class_attrs, cls, module, False, cls, annotations))
    c["fields"].extend(attribute_fields(qual, instance_names, cls, module, True, cls, annotations))
    return c


def extract(spec):
    module = helper.load_module(spec)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if public(n)]
    mod = {"name": module.__name__, "comment": doc_of(module), "tags": {}, "functions": [], "classes": [],
           "globals": [], "external_resources": []}
    module_annotations = getattr(module, "__annotations__", {}) or {}
    global_names = []
    for n in names:
        if not hasattr(module, n):
            continue
        obj = getattr(module, n)
        defined_here = belongs(obj, module)
        if inspect.isclass(obj):
            if defined_here:
                mod["classes"].append(extract_class(obj, module))
        elif inspect.isfunction(obj) or inspect.isbuiltin(obj):
            if defined_here:
                mod["functions"].extend(functions_for(n, obj, {"callable": n}, module))
        elif inspect.ismodule(obj) or callable(obj):
            continue
        elif type(obj).__module__ in ("typing", "typing_extensions", "__future__"):
            continue
        else:
            global_names.append(n)
    mod["globals"] = attribute_fields("", global_names, module, module, False, None, module_annotations)
    path = os.path.abspath(spec) if os.path.exists(spec) else (getattr(module, "__file__", None) or spec)
    base = os.path.basename(path.rstrip(os.sep))
    stem, ext = os.path.splitext(base)
    if ext != ".py":
        stem, ext = base, ""
    if stem == "__init__":
        stem = os.path.basename(os.path.dirname(path))
    return {"idl_source": stem, "idl_extension": ext, "idl_filename_with_extension": base,
            "idl_full_path": path, "metaffi_guest_lib": "", "target_language": "python3", "modules": [mod]}


def main(argv):
    if len(argv) != 2:
        print("usage: metaffi_python_idl.py <file.py | package folder | module name>", file=sys.stderr)
        return 2
    try:
        idl = extract(argv[1])
    except BaseException as e:  # noqa: BLE001  (report, never a traceback dump only)
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    json.dump(idl, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
