"""Runs inside the CPython that MetaFFI embeds in a Node.js process.

The python3 plugin (runtimes/python3/plugin) calls into this module for the work that is not on
the call path: finding modules, resolving entity paths to Python objects, and formatting
tracebacks. It is loaded once under the name ``_metaffi``.
"""

import difflib
import importlib
import importlib.util
import inspect
import linecache
import os
import sys
import traceback


class JSError(Exception):
    """A JavaScript exception thrown by a JS callback, raised inside Python."""

    def __init__(self, js_type, js_message, _type=None, js_stack=None, host_error=0):
        super().__init__(f"{js_type}: {js_message}" if js_type else js_message)
        self.js_type = js_type
        self.js_message = js_message
        self.js_stack = js_stack
        self.host_error = host_error


class ForeignError(Exception):
    """An exception of another runtime (Java, Go) raised inside Python."""

    def __init__(self, foreign_type, message, _type=None, foreign_stack=None, _host_error=0):
        super().__init__(f"{foreign_type}: {message}" if foreign_type else message)
        self.foreign_type = foreign_type
        self.foreign_message = message
        self.foreign_stack = foreign_stack


class MetaFFIError(Exception):
    """A value that cannot cross between Python and another runtime (nested too deeply,
    out of the declared type's range, text that is not Unicode, ...)."""


# When Python is the host (the metaffi package), its exception classes are the ones raised,
# so that a program catches metaffi.MetaFFIError whatever went wrong.
_host_errors = sys.modules.get("metaffi.metaffi_errors")
if _host_errors is not None:
    ForeignError = _host_errors.ForeignError  # noqa: F811
    MetaFFIError = _host_errors.MetaFFIError  # noqa: F811


def format_exception(exc_type, exc, tb):
    """The traceback as Python prints it, without the column markers (which re-parse every
    source line and make each error cost tens of microseconds)."""
    lines = ["Traceback (most recent call last):\n"] if tb is not None else []
    while tb is not None:
        code = tb.tb_frame.f_code
        lines.append(f'  File "{code.co_filename}", line {tb.tb_lineno}, in {code.co_name}\n')
        source = linecache.getline(code.co_filename, tb.tb_lineno).strip()
        if source:
            lines.append(f"    {source}\n")
        tb = tb.tb_next
    lines.extend(traceback.format_exception_only(exc_type, exc))
    return "".join(lines)


def _add_path(folder):
    if folder not in sys.path:
        sys.path.insert(0, folder)


def _load_file(path):
    folder, base = os.path.split(path)
    name = base[:-3] if base.endswith(".py") else base
    _add_path(folder)  # sibling imports work as if the file were run from its folder
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None):
        try:
            if os.path.samefile(existing.__file__, path):
                return existing
        except OSError:
            pass
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        if sys.modules.get(name) is module:
            del sys.modules[name]
        raise
    return module


def _no_nul(what, text):
    """A NUL would cut the text short wherever it becomes a C string or a path."""
    if "\0" in text:
        raise TypeError(f"{what} {text!r} contains a NUL character; remove it")


def load_module(spec):
    """A .py file, a package folder, or an importable (dotted) module name."""
    _no_nul("the module path", spec)
    if spec.endswith(".py") or os.sep in spec or spec.startswith("."):
        path = os.path.abspath(spec)
        if os.path.isfile(path):
            return _load_file(path)
        if os.path.isdir(path):
            parent, name = os.path.split(path.rstrip(os.sep))
            _add_path(parent)
            return importlib.import_module(name)
        if spec.endswith(".py"):
            raise FileNotFoundError(f"no such file: {path}")
        if not os.path.exists(path) and os.sep in spec:
            raise FileNotFoundError(f"no such file or folder: {path}")
    if os.path.isdir(spec) and not os.path.exists(os.path.join(spec, "__init__.py")) and "." not in spec:
        pass  # a bare name that is also a folder here: import it as a name, as Python would
    return importlib.import_module(spec)


def _suggest(obj, name):
    names = [n for n in dir(obj) if not n.startswith("__")]
    close = difflib.get_close_matches(name, names, n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    shown = ", ".join(sorted(n for n in names if not n.startswith("_"))[:30])
    return f"{hint} (available: {shown})" if shown else hint


def _describe(obj):
    if inspect.ismodule(obj):
        return f"module '{obj.__name__}'"
    if inspect.isclass(obj):
        return f"class '{obj.__qualname__}'"
    return f"'{type(obj).__name__}' object"


def _walk(root, dotted):
    """Follow a dotted path; returns (object, parent, last name)."""
    obj, parent, last = root, None, None
    for part in dotted.split("."):
        if not part:
            raise ValueError(f"'{dotted}' is not a valid dotted name")
        try:
            nxt = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f"{_describe(obj)} has no attribute '{part}'{_suggest(obj, part)}") from None
        parent, last, obj = obj, part, nxt
    return obj, parent, last


def resolve(module, path, nparams, nrets):
    """Resolve an entity path to (kind, target, name, owner) for the plugin.

    kind "call": target is called; with instance_required and a method of a class, `owner`
    is that class and `name` the method name, so objects of subclasses dispatch by name.
    kind "get"/"set": `name` is read or written on the instance (first argument) or on
    `target` (a module or class).
    """
    for key, value in path.items():
        _no_nul("the entity path item", key if value is None else f"{key}={value}")
    instance = "instance_required" in path
    if "callable" in path:
        dotted = path["callable"]
        target, parent, last = _walk(module, dotted)
        if not callable(target):
            raise TypeError(f"'{dotted}' is {_describe(target)}, which is not callable; "
                            f"use attribute={dotted} with getter or setter to read or write it")
        owner = None
        if instance and inspect.isclass(parent):
            raw = inspect.getattr_static(parent, last, None)
            if inspect.isfunction(raw):
                owner = parent
            elif isinstance(raw, (staticmethod, classmethod)):
                raise TypeError(f"'{dotted}' is a {type(raw).__name__}; drop instance_required")
        if "varargs" in path and nparams < 1:
            raise TypeError("varargs needs a last parameter (an array) for the extra arguments")
        if "named_args" in path and nparams < 1:
            raise TypeError("named_args needs a last parameter (an object) for the keyword arguments")
        return ("call", target, last if owner is not None else None, owner)
    if "attribute" in path:
        dotted = path["attribute"]
        getter, setter = "getter" in path, "setter" in path
        if getter == setter:
            raise ValueError(f"attribute={dotted} needs exactly one of the tags getter or setter")
        head, _, name = dotted.rpartition(".")
        container = _walk(module, head)[0] if head else module
        if not instance and getter and not hasattr(container, name):
            raise AttributeError(f"{_describe(container)} has no attribute '{name}'{_suggest(container, name)}")
        want = (1 if instance else 0) + (1 if setter else 0)
        if nparams != want:
            what = "the object" if instance else ""
            if setter:
                what = (what + " and " if what else "") + "the new value"
            raise TypeError(f"attribute={dotted} with {'setter' if setter else 'getter'}"
                            f"{' and instance_required' if instance else ''} takes {want} parameter"
                            f"{'' if want == 1 else 's'}{': ' + what if what else ''}; {nparams} declared")
        if getter and nrets != 1:
            raise TypeError(f"a getter returns one value; declare one return type ({nrets} declared)")
        return ("get" if getter else "set", container, name, None)
    raise ValueError("a python3 entity path needs callable=... or attribute=...")
