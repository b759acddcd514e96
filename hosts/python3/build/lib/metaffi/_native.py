"""Loads the native part of the Python host: XLLR and the python3 plugin, which holds the
Python host binding. The `metaffi` command of the repository this package was installed
from builds them and says how to start each runtime (`metaffi --prepare-runtime`)."""
import ctypes
import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
from typing import Any, Dict, Optional

from .metaffi_errors import MetaFFIError

_lock = threading.RLock()
_prepared: Dict[str, Dict[str, Any]] = {}
_native: Optional[Any] = None


def home() -> str:
    """The metaffi repository: METAFFI_HOME, or the one this package was installed from."""
    env = os.environ.get("METAFFI_HOME")
    if env:
        return env
    try:
        # written by setup.py when the package is installed (not in the repository itself)
        recorded: str = importlib.import_module("._home", __package__).HOME
    except ImportError:
        raise MetaFFIError("metaffi: this package does not know where the metaffi repository is; "
                           "install it with `pip install <repository>/hosts/python3` or set METAFFI_HOME") from None
    return recorded


def prepare(runtime: str) -> Dict[str, Any]:
    """How to start `runtime`: {id, name, xllr, libraries, plugin, config, entityPath}."""
    with _lock:
        if runtime in _prepared:
            return _prepared[runtime]
        info = _run_cli("--prepare-runtime", runtime, "--for-host", "python3")
        for alias in [runtime, info["name"]]:
            _prepared[alias] = info
        return info


def _run_cli(*args: str) -> Dict[str, Any]:
    root = home()
    cli = os.path.join(root, "dist", "cli", "main.js")
    node = os.environ.get("METAFFI_NODE") or shutil.which("node")
    if not node:
        raise MetaFFIError("metaffi: Node.js ('node') is not on PATH; the metaffi command needs it "
                           "to build and describe runtimes (set METAFFI_NODE to its path)")
    if not os.path.exists(cli):
        raise MetaFFIError(f"metaffi: {cli} is missing; run `npm install` in {root} first")
    env = dict(os.environ, METAFFI_PYTHON=sys.executable)
    proc = subprocess.run([node, cli, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    if proc.returncode != 0:
        message = proc.stderr.strip()
        raise MetaFFIError(message[len("metaffi: "):] if message.startswith("metaffi: ") else
                           message or f"metaffi {' '.join(args)} failed")
    result: Dict[str, Any] = json.loads(proc.stdout)
    return result


def resolve_module(runtime: str, path: str) -> str:
    """A module path as the runtime's plugin takes it (.java sources compiled, ...)."""
    return str(_run_cli("--prepare-runtime", runtime, "--module", path)["module"])


def native() -> Any:
    """The binding module (metaffi._native), with the python3 plugin started in host mode."""
    global _native
    if _native is not None:
        return _native
    with _lock:
        if _native is not None:
            return _native
        from . import metaffi_errors  # noqa: F401  (the plugin's helper raises its classes)
        info = prepare("python3")
        ctypes.CDLL(info["xllr"], mode=ctypes.RTLD_GLOBAL)
        plugin = ctypes.PyDLL(info["plugin"])
        make = plugin.metaffi_python3_host_module
        make.restype = ctypes.py_object
        make.argtypes = []
        mod = make()
        mod.set_error_class(MetaFFIError)
        mod.start_runtime(info["id"], info["plugin"], info["config"])
        from .metaffi_handle import _register_foreign_types
        _register_foreign_types(*mod.foreign_types())
        _native = mod
        return mod
