"""MetaFFIHandle: an object of another runtime held by Python."""
import abc


class MetaFFIHandle(abc.ABC):
    """An object of another runtime (a Java object, a Go value, ...) that Python holds.

    Handles come back from foreign calls where a handle (or ``any``) is declared, and can be
    passed to any runtime where a handle is declared: the object itself travels, so a Java
    object handed to Go and back is the same object. ``release()`` drops the foreign
    reference at once (using the handle afterwards is a ``MetaFFIError``); otherwise it is
    dropped when Python collects the handle. ``runtime`` names the owning runtime."""

    @property
    @abc.abstractmethod
    def runtime(self) -> str: ...

    @property
    @abc.abstractmethod
    def released(self) -> bool: ...

    @abc.abstractmethod
    def release(self) -> None: ...


def _register_foreign_types(obj_type: type, fn_type: type) -> None:
    MetaFFIHandle.register(obj_type)
