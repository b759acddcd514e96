"""MetaFFIRuntime: a foreign runtime (Go, a JVM, Python) loaded into this process."""
import os
import re
from typing import Any, Dict

from . import _native
from .metaffi_errors import MetaFFIError

_NAMES = {"python3": "python3", "python": "python3", "py": "python3", "openjdk": "openjdk", "jvm": "openjdk",
          "java": "openjdk", "go": "go", "golang": "go"}


def _no_nul(text: str, what: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}")
    if "\0" in text:
        raise ValueError(f"{what} {text!r} contains a NUL character; it cannot contain one")
    return text


class MetaFFIRuntime:
    """A foreign runtime in this process: ``MetaFFIRuntime("go")``, ``"openjdk"`` or
    ``"python3"``. The runtime is process-wide: several MetaFFIRuntime objects of one name
    share it."""

    def __init__(self, runtime_plugin: str) -> None:
        name = _no_nul(runtime_plugin, "runtime name").strip().lower()
        if name.startswith("xllr."):  # MetaFFI's plugin file names: xllr.go, xllr.openjdk, ...
            name = name[len("xllr."):]
        if name not in _NAMES:
            raise MetaFFIError(f"unknown runtime '{runtime_plugin}'; known runtimes: python3 (python, py), "
                               "openjdk (jvm, java), go (golang)")
        self.runtime_plugin = _NAMES[name]
        self._info: Dict[str, Any] = {}
        self._released = False

    def load_runtime_plugin(self) -> None:
        """Load the runtime into the process (a JVM is started, the python3 runtime attaches
        to this interpreter). Calling it again does nothing."""
        native = _native.native()
        self._info = _native.prepare(self.runtime_plugin)
        if not native.is_loaded(self._info["id"]):
            for lib in self._info["libraries"]:
                native.load_library(lib)
            native.start_runtime(self._info["id"], self._info["plugin"], self._info["config"])
        self._released = False

    def release_runtime_plugin(self) -> None:
        """Release the runtime: its modules, entities and handles stop working (calls raise
        MetaFFIError). The interpreter or VM stays in the process (neither CPython nor a JVM
        can be unloaded); load_runtime_plugin() makes it usable again."""
        if not self._info:
            raise MetaFFIError(f"the {self.runtime_plugin} runtime was never loaded by this MetaFFIRuntime; "
                               "nothing to release")
        if self._released:
            raise MetaFFIError(f"the {self.runtime_plugin} runtime was already released by this MetaFFIRuntime")
        _native.native().stop_runtime(self._info["id"])
        self._released = True

    def load_module(self, module_path: str) -> "MetaFFIModule":
        """Load a module: a Go guest library (``hello_MetaFFIGuest`` or its .so path), jars
        and class folders joined with ';' (or a JDK module name such as ``java.base``), or a
        Python module name or .py file. Loads the runtime first if needed."""
        path = _no_nul(module_path, "module path")
        if not self._info or self._released:
            self.load_runtime_plugin()
        native = _native.native()
        resolved = _module_path(self.runtime_plugin, path, self._info)
        return MetaFFIModule(self, native.load_module(self._info["id"], resolved), path)

    def __repr__(self) -> str:
        return f"MetaFFIRuntime({self.runtime_plugin!r})"


def _module_path(runtime: str, path: str, info: Dict[str, Any]) -> str:
    if runtime == "go":
        full = os.path.abspath(path)
        for candidate in (full, full + ".so"):
            if os.path.isfile(candidate):
                return candidate
        hint = (f"; {path} is Go source: build the guest library first with `metaffi -c --idl {path} -g go`"
                if path.endswith(".go") or os.path.isdir(full) else
                "; build one with `metaffi -c --idl <file.go> -g go` (it writes <name>_MetaFFIGuest.so)")
        raise MetaFFIError(f"go runtime: no Go guest library at {full} (also tried {full}.so){hint}")
    if runtime == "openjdk":
        parts = [p.strip() for p in path.split(";") if p.strip()]
        if any(p.lower().endswith(".java") for p in parts):
            return _native.resolve_module(runtime, path)  # .java sources: compiled by the metaffi command
        if not parts:
            raise MetaFFIError(f"openjdk module path '{path}' names no jar or class folder")
        jdk_names = re.compile(info["jdkNames"], re.I)  # the metaffi command's own rule
        resolved = []
        for p in parts:
            if jdk_names.match(p):
                resolved.append(p)
                continue
            full = os.path.abspath(p)
            if not os.path.exists(full):
                raise MetaFFIError(f"openjdk module path: no such jar, class folder or .java file: {p} ({full}); "
                                   "module paths are .jar files, class folders and .java sources joined with ';'")
            if not os.path.isdir(full) and not full.lower().endswith((".jar", ".zip")):
                raise MetaFFIError(f"openjdk module path: {p} is neither a .jar file, a class folder nor a .java source")
            resolved.append(full)
        return ";".join(resolved)
    return path


from .metaffi_module import MetaFFIModule  # noqa: E402  (MetaFFIModule refers back to MetaFFIRuntime)
