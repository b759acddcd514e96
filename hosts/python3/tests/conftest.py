"""Shared fixtures: the repository, and Go guests built with the metaffi command."""
import os
import shutil
import subprocess
import sys

import pytest

from metaffi import _native

REPO = _native.home()
FIXTURES = os.path.join(REPO, "test", "fixtures")


def metaffi_cli(*args: str, cwd: str) -> None:
    node = os.environ.get("METAFFI_NODE") or shutil.which("node")
    assert node, "node is not on PATH: the metaffi command needs it"
    env = dict(os.environ, METAFFI_PYTHON=sys.executable)
    proc = subprocess.run([node, os.path.join(REPO, "dist", "cli", "main.js"), *args], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 0, f"metaffi {' '.join(args)} failed:\n{proc.stderr}"


@pytest.fixture(scope="session")
def go_guest(tmp_path_factory: pytest.TempPathFactory) -> str:
    """test/fixtures/go/guest built as a Go guest library; returns its path without .so."""
    out = str(tmp_path_factory.mktemp("go_guest"))
    metaffi_cli("-c", "--idl", os.path.join(FIXTURES, "go", "guest"), "-g", "go", "-o", out, cwd=out)
    libs = [f for f in os.listdir(out) if f.endswith("_MetaFFIGuest.so")]
    assert libs, f"no guest library in {out}"
    return os.path.join(out, libs[0][:-3])


@pytest.fixture(scope="session")
def java_guest_src() -> str:
    return os.path.join(FIXTURES, "java", "guest", "src", "guest")


@pytest.fixture(scope="session")
def java_support() -> dict:
    """log4j's jars (fetched with Maven once) and the guest's compiled class folder, from the
    repository's test support code (built by `npm run build`)."""
    import json

    node = os.environ.get("METAFFI_NODE") or shutil.which("node")
    support = os.path.join(REPO, ".build", "test", "support", "java.js")
    assert node and os.path.exists(support), f"{support} is missing: run `npm run build` in {REPO}"
    script = (f"import({json.dumps('file://' + support)}).then(m => console.log(JSON.stringify("
              "{log4j: m.log4jJars(), classes: m.guestClasses()})))")
    proc = subprocess.run([node, "-e", script], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 0, f"preparing the Java test inputs failed:\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])
