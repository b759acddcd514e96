"""MetaFFI's types: the type codes (MetaFFITypes), type infos, and callables made from Python functions."""
import enum
import inspect
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union, get_type_hints


class MetaFFITypes(enum.IntEnum):
    """MetaFFI's type codes (the same numbers as MetaFFI's). An array type is the element
    type with ``metaffi_array_type`` added; ``metaffi_type_info.dimensions`` says how deep."""

    metaffi_float64_type = 1
    metaffi_float32_type = 2
    metaffi_int8_type = 4
    metaffi_int16_type = 8
    metaffi_int32_type = 16
    metaffi_int64_type = 32
    metaffi_uint8_type = 64
    metaffi_uint16_type = 128
    metaffi_uint32_type = 256
    metaffi_uint64_type = 512
    metaffi_bool_type = 1024
    metaffi_string8_type = 4096
    metaffi_string16_type = 8192
    metaffi_string32_type = 16384
    metaffi_handle_type = 32768
    metaffi_array_type = 65536
    metaffi_size_type = 262144
    metaffi_char8_type = 524288
    metaffi_char16_type = 1048576
    metaffi_char32_type = 2097152
    metaffi_any_type = 4194304
    metaffi_null_type = 8388608
    metaffi_callable_type = 16777216
    metaffi_packed_type = 33554432
    metaffi_float64_array_type = 65537
    metaffi_float32_array_type = 65538
    metaffi_int8_array_type = 65540
    metaffi_int16_array_type = 65544
    metaffi_int32_array_type = 65552
    metaffi_int64_array_type = 65568
    metaffi_uint8_array_type = 65600
    metaffi_uint16_array_type = 65664
    metaffi_uint32_array_type = 65792
    metaffi_uint64_array_type = 66048
    metaffi_bool_array_type = 66560
    metaffi_string8_array_type = 69632
    metaffi_string16_array_type = 73728
    metaffi_string32_array_type = 81920
    metaffi_handle_array_type = 98304
    metaffi_size_array_type = 327680
    metaffi_char8_array_type = 589824
    metaffi_char16_array_type = 1114112
    metaffi_char32_array_type = 2162688
    metaffi_any_array_type = 4259840
    metaffi_callable_array_type = 16842752
    metaffi_float64_packed_array_type = 33619969
    metaffi_float32_packed_array_type = 33619970
    metaffi_int8_packed_array_type = 33619972
    metaffi_int16_packed_array_type = 33619976
    metaffi_int32_packed_array_type = 33619984
    metaffi_int64_packed_array_type = 33620000
    metaffi_uint8_packed_array_type = 33620032
    metaffi_uint16_packed_array_type = 33620096
    metaffi_uint32_packed_array_type = 33620224
    metaffi_uint64_packed_array_type = 33620480
    metaffi_bool_packed_array_type = 33620992
    metaffi_size_packed_array_type = 33882112


# The members under their own names too, as MetaFFI's Python API offers them
# (`from metaffi.metaffi_types import *` then `metaffi_string8_type`).
metaffi_float64_type = MetaFFITypes.metaffi_float64_type
metaffi_float32_type = MetaFFITypes.metaffi_float32_type
metaffi_int8_type = MetaFFITypes.metaffi_int8_type
metaffi_int16_type = MetaFFITypes.metaffi_int16_type
metaffi_int32_type = MetaFFITypes.metaffi_int32_type
metaffi_int64_type = MetaFFITypes.metaffi_int64_type
metaffi_uint8_type = MetaFFITypes.metaffi_uint8_type
metaffi_uint16_type = MetaFFITypes.metaffi_uint16_type
metaffi_uint32_type = MetaFFITypes.metaffi_uint32_type
metaffi_uint64_type = MetaFFITypes.metaffi_uint64_type
metaffi_bool_type = MetaFFITypes.metaffi_bool_type
metaffi_string8_type = MetaFFITypes.metaffi_string8_type
metaffi_string16_type = MetaFFITypes.metaffi_string16_type
metaffi_string32_type = MetaFFITypes.metaffi_string32_type
metaffi_handle_type = MetaFFITypes.metaffi_handle_type
metaffi_array_type = MetaFFITypes.metaffi_array_type
metaffi_size_type = MetaFFITypes.metaffi_size_type
metaffi_char8_type = MetaFFITypes.metaffi_char8_type
metaffi_char16_type = MetaFFITypes.metaffi_char16_type
metaffi_char32_type = MetaFFITypes.metaffi_char32_type
metaffi_any_type = MetaFFITypes.metaffi_any_type
metaffi_null_type = MetaFFITypes.metaffi_null_type
metaffi_callable_type = MetaFFITypes.metaffi_callable_type
metaffi_packed_type = MetaFFITypes.metaffi_packed_type
metaffi_float64_array_type = MetaFFITypes.metaffi_float64_array_type
metaffi_float32_array_type = MetaFFITypes.metaffi_float32_array_type
metaffi_int8_array_type = MetaFFITypes.metaffi_int8_array_type
metaffi_int16_array_type = MetaFFITypes.metaffi_int16_array_type
metaffi_int32_array_type = MetaFFITypes.metaffi_int32_array_type
metaffi_int64_array_type = MetaFFITypes.metaffi_int64_array_type
metaffi_uint8_array_type = MetaFFITypes.metaffi_uint8_array_type
metaffi_uint16_array_type = MetaFFITypes.metaffi_uint16_array_type
metaffi_uint32_array_type = MetaFFITypes.metaffi_uint32_array_type
metaffi_uint64_array_type = MetaFFITypes.metaffi_uint64_array_type
metaffi_bool_array_type = MetaFFITypes.metaffi_bool_array_type
metaffi_string8_array_type = MetaFFITypes.metaffi_string8_array_type
metaffi_string16_array_type = MetaFFITypes.metaffi_string16_array_type
metaffi_string32_array_type = MetaFFITypes.metaffi_string32_array_type
metaffi_handle_array_type = MetaFFITypes.metaffi_handle_array_type
metaffi_size_array_type = MetaFFITypes.metaffi_size_array_type
metaffi_char8_array_type = MetaFFITypes.metaffi_char8_array_type
metaffi_char16_array_type = MetaFFITypes.metaffi_char16_array_type
metaffi_char32_array_type = MetaFFITypes.metaffi_char32_array_type
metaffi_any_array_type = MetaFFITypes.metaffi_any_array_type
metaffi_callable_array_type = MetaFFITypes.metaffi_callable_array_type
metaffi_float64_packed_array_type = MetaFFITypes.metaffi_float64_packed_array_type
metaffi_float32_packed_array_type = MetaFFITypes.metaffi_float32_packed_array_type
metaffi_int8_packed_array_type = MetaFFITypes.metaffi_int8_packed_array_type
metaffi_int16_packed_array_type = MetaFFITypes.metaffi_int16_packed_array_type
metaffi_int32_packed_array_type = MetaFFITypes.metaffi_int32_packed_array_type
metaffi_int64_packed_array_type = MetaFFITypes.metaffi_int64_packed_array_type
metaffi_uint8_packed_array_type = MetaFFITypes.metaffi_uint8_packed_array_type
metaffi_uint16_packed_array_type = MetaFFITypes.metaffi_uint16_packed_array_type
metaffi_uint32_packed_array_type = MetaFFITypes.metaffi_uint32_packed_array_type
metaffi_uint64_packed_array_type = MetaFFITypes.metaffi_uint64_packed_array_type
metaffi_bool_packed_array_type = MetaFFITypes.metaffi_bool_packed_array_type
metaffi_size_packed_array_type = MetaFFITypes.metaffi_size_packed_array_type


_ARRAY = int(MetaFFITypes.metaffi_array_type)


class metaffi_type_info:
    """A declared type: a MetaFFITypes code, an alias (the foreign type's name, e.g.
    ``java.util.List``; informational) and, for arrays, the number of dimensions."""

    __slots__ = ("type", "alias", "dimensions")

    def __init__(self, type: Union[MetaFFITypes, int], alias: Optional[str] = None, dimensions: int = 0) -> None:
        try:
            code = MetaFFITypes(int(type))
        except (TypeError, ValueError):
            raise TypeError(f"metaffi_type_info: {type!r} is not a MetaFFITypes member") from None
        if not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 0:
            raise TypeError(f"metaffi_type_info: dimensions must be an int >= 0, got {dimensions!r}")
        if alias is not None and not isinstance(alias, str):
            raise TypeError(f"metaffi_type_info: alias must be a str or None, got {type(alias).__name__}")
        if dimensions > 0 and not code & _ARRAY:
            code = MetaFFITypes(int(code) | _ARRAY)
        self.type = code
        self.alias = alias
        self.dimensions = dimensions if dimensions > 0 or not code & _ARRAY else 1

    def __repr__(self) -> str:
        extra = (f", alias={self.alias!r}" if self.alias else "") + (
            f", dimensions={self.dimensions}" if self.dimensions else "")
        return f"metaffi_type_info({self.type.name}{extra})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, metaffi_type_info) and other.type == self.type
                and other.dimensions == self.dimensions and other.alias == self.alias)

    def __hash__(self) -> int:
        return hash((self.type, self.dimensions, self.alias))


TypeLike = Union[metaffi_type_info, MetaFFITypes]


def new_metaffi_type_info(type: Union[MetaFFITypes, int], alias: Optional[str] = None, dims: int = 0) -> metaffi_type_info:
    """A metaffi_type_info, as MetaFFI's Python API names it."""
    return metaffi_type_info(type, alias, dims)


def as_type_info(t: object, where: str) -> metaffi_type_info:
    """A metaffi_type_info from a type info or a bare MetaFFITypes member."""
    if isinstance(t, metaffi_type_info):
        return t
    if isinstance(t, MetaFFITypes):
        return metaffi_type_info(t)
    raise TypeError(f"{where}: expected a metaffi_type_info or a MetaFFITypes member, got {t!r}")


def native_types(types: Optional[Sequence[object]], where: str) -> List[Tuple[int, int]]:
    """(code, dimensions) pairs, as the native binding takes them."""
    if types is None:
        return []
    if isinstance(types, (str, bytes)) or not isinstance(types, Sequence):
        raise TypeError(f"{where}: expected a list of metaffi_type_info, got {type(types).__name__}")
    return [(int(ti.type), ti.dimensions) for ti in (as_type_info(t, f"{where}[{i}]") for i, t in enumerate(types))]


def type_text(types: Sequence[Tuple[int, int]]) -> str:
    """'(int64, string8[])' for messages."""
    parts = []
    for code, dims in types:
        base = code & ~(_ARRAY | int(MetaFFITypes.metaffi_packed_type))
        try:
            name = MetaFFITypes(base).name[len("metaffi_"):-len("_type")]
        except ValueError:
            name = str(base)
        parts.append(name + "[]" * (dims if code & _ARRAY else 0))
    return "(" + ", ".join(parts) + ")"


_FROM_ANNOTATION = {int: MetaFFITypes.metaffi_int64_type, float: MetaFFITypes.metaffi_float64_type,
                    str: MetaFFITypes.metaffi_string8_type, bool: MetaFFITypes.metaffi_bool_type,
                    bytes: MetaFFITypes.metaffi_uint8_array_type}


def _annotation_type(a: Any) -> metaffi_type_info:
    if a in _FROM_ANNOTATION:
        return metaffi_type_info(_FROM_ANNOTATION[a])
    if isinstance(a, (metaffi_type_info, MetaFFITypes)):
        return as_type_info(a, "annotation")
    return metaffi_type_info(MetaFFITypes.metaffi_any_type)


class MetaFFICallable:
    """A Python function prepared to be passed to a foreign runtime as a callable
    (``make_metaffi_callable``). Calling it calls the function; its results are converted to
    the types its annotations declare (an ``int`` returned where ``float`` is declared
    becomes a float), so the foreign side receives exactly the declared types."""

    def __init__(self, func: Callable[..., Any]) -> None:
        if not callable(func):
            raise TypeError(f"make_metaffi_callable: expected a function, got {type(func).__name__}")
        self.__wrapped__ = func
        try:
            hints = get_type_hints(func)
        except Exception:
            hints = getattr(func, "__annotations__", {})
        params = [p for p in inspect.signature(func).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        self.params_types = [_annotation_type(hints.get(p.name, Any)) for p in params]
        ret = hints.get("return", Any)
        if ret is None or ret is type(None):
            self.retval_types: List[metaffi_type_info] = []
        elif getattr(ret, "__origin__", None) is tuple:
            self.retval_types = [_annotation_type(a) for a in ret.__args__]
        else:
            self.retval_types = [_annotation_type(ret)]
        self._coerce = [_COERCE.get(t.type) for t in self.retval_types]

    def __call__(self, *args: Any) -> Any:
        result = self.__wrapped__(*args)
        if len(self._coerce) == 1:
            c = self._coerce[0]
            return c(result) if c is not None and result is not None else result
        if len(self._coerce) > 1 and isinstance(result, tuple):
            return tuple(c(r) if c is not None and r is not None else r for c, r in zip(self._coerce, result))
        return result


_COERCE = {MetaFFITypes.metaffi_float64_type: float, MetaFFITypes.metaffi_float32_type: float}


def make_metaffi_callable(func: Callable[..., Any]) -> MetaFFICallable:
    """Prepare a Python function to be passed where a callable is declared; its parameter and
    return types come from its annotations. (Any Python function can be passed as it is too:
    its results then travel with the types Python gives them.)"""
    return MetaFFICallable(func)
