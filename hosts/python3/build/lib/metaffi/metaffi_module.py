"""MetaFFIModule: a module loaded into a runtime, and the entities loaded from it."""
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from . import _native
from .metaffi_errors import MetaFFIError
from .metaffi_types import native_types, type_text

if TYPE_CHECKING:
    from .metaffi_runtime import MetaFFIRuntime


class MetaFFIEntity:
    """A function, method, constructor, field accessor or global of a foreign module, called
    like a Python function: ``entity(*args)`` returns None (no return values), the value
    (one) or a tuple (several). Arguments are converted to the declared parameter types;
    a value that does not fit raises TypeError or OverflowError, a foreign exception raises
    MetaFFIError with its ``foreign_type``, ``foreign_message`` and ``foreign_stack``.

    (This class documents the type; the objects load_entity returns are the binding's own
    callables, which call the foreign entity in one native step.)"""

    def __call__(self, *args: Any) -> Any: ...


def parse_entity_path(path: str, rules: Dict[str, Any]) -> List[Tuple[str, Optional[str]]]:
    """'callable=f,varargs' -> [('callable', 'f'), ('varargs', None)], checked against the
    runtime's keys and tags."""
    if not isinstance(path, str) or not path.strip():
        raise TypeError(f"entity path must be a non-empty str like 'callable=name', got {path!r}")
    if "\0" in path:
        raise ValueError(f"entity path {path!r} contains a NUL character; it cannot contain one")
    keys, tags = rules["keys"], rules["tags"]
    accepted = f"{rules['runtime']} entity paths accept keys {', '.join(keys)} and tags {', '.join(tags)}"
    items: List[Tuple[str, Optional[str]]] = []
    seen = set()
    for raw in path.split(","):
        part = raw.strip()
        if not part:
            continue
        key, eq, value = part.partition("=")
        key = key.strip()
        val: Optional[str] = value.strip() if eq else None
        if key in seen:
            raise MetaFFIError(f"entity path '{path}': '{key}' appears twice")
        seen.add(key)
        if val is None:
            if key in keys:
                raise MetaFFIError(f"entity path '{path}': '{key}' needs a value ({key}=...)")
            if key not in tags:
                raise MetaFFIError(f"entity path '{path}': unknown tag '{key}'; {accepted}")
        else:
            if key in tags:
                raise MetaFFIError(f"entity path '{path}': '{key}' is a tag and takes no value")
            if key not in keys:
                raise MetaFFIError(f"entity path '{path}': unknown key '{key}'; {accepted}")
            if val == "":
                raise MetaFFIError(f"entity path '{path}': '{key}' has an empty value")
        items.append((key, val))
    for key in rules.get("required", []):
        if key not in seen:
            raise MetaFFIError(f"entity path '{path}': missing {key}=...; {accepted}")
    for group in rules["oneOf"]:
        present = [k for k in group if k in seen]
        if len(present) != 1:
            what = " or ".join(f"{k}=..." for k in group)
            found = f" (found {' and '.join(present)})" if len(present) > 1 else ""
            raise MetaFFIError(f"entity path '{path}': needs exactly one of {what}{found}; {accepted}")
    if "getter" in seen and "setter" in seen:
        raise MetaFFIError(f"entity path '{path}': getter and setter cannot both be set")
    return items


def _entity_name(runtime: str, items: List[Tuple[str, Optional[str]]]) -> str:
    d = dict(items)
    member = d.get("callable") or d.get("attribute") or d.get("field") or d.get("global") or "?"
    return f"{d['class']}.{member}" if runtime == "openjdk" and d.get("class") else member


class MetaFFIModule:
    """A module loaded into a runtime (``MetaFFIRuntime.load_module``)."""

    def __init__(self, runtime: "MetaFFIRuntime", native_module: Any, module_path: str) -> None:
        self.runtime = runtime
        self.module_path = module_path
        self._native_module = native_module

    def load_entity(self, entity_path: str, params_types: Optional[Sequence[Any]] = None,
                    retval_types: Optional[Sequence[Any]] = None) -> MetaFFIEntity:
        """Load an entity by its entity path (``callable=SayHello``,
        ``class=java.lang.Math,callable=max``, ``callable=Point.x,getter`` ...) with its
        parameter and return types (lists of metaffi_type_info or MetaFFITypes members).
        The entity, its conversions and the foreign callable are resolved once, here."""
        info = _native.prepare(self.runtime.runtime_plugin)
        items = parse_entity_path(entity_path, info["entityPath"])
        params = native_types(params_types, "params_types")
        rets = native_types(retval_types, "retval_types")
        name = _entity_name(info["name"], items)
        entity: MetaFFIEntity = _native.native().load_entity(
            self._native_module, name, type_text(params), items, params, rets)
        return entity

    def load(self, entity_path: str, params_types: Optional[Sequence[Any]] = None,
             retval_types: Optional[Sequence[Any]] = None) -> MetaFFIEntity:
        """The same as load_entity."""
        return self.load_entity(entity_path, params_types, retval_types)

    def __repr__(self) -> str:
        return f"<MetaFFIModule {self.module_path!r} of {self.runtime.runtime_plugin}>"
