"""Generated Python stubs (metaffi -c --idl <source> -h python3) called against the real runtimes."""
import importlib
import os
import sys

import pytest

from conftest import FIXTURES, metaffi_cli
from metaffi import MetaFFIError, MetaFFIHandle


def generate(source: str, out: str, name: str):
    """Write the stubs of source into out and import them (fresh: several tests use one name)."""
    metaffi_cli("-c", "--idl", source, "-h", "python3", "-o", out, cwd=out)
    sys.path.insert(0, out)
    try:
        sys.modules.pop(name, None)
        return importlib.import_module(name)
    finally:
        sys.path.remove(out)


def test_go_stubs(go_guest: str, tmp_path) -> None:
    guest = generate(os.path.join(FIXTURES, "go", "guest"), str(tmp_path), "guest_MetaFFIHost")
    guest.bind_module_to_code(go_guest, "go")
    assert guest.Add(2, 40) == 42
    assert guest.DivMod(17, 5) == (3, 2)
    assert guest.Words(" a bb ") == ["a", "bb"]
    p = guest.NewPoint(3.0, 4.0)
    assert isinstance(p, guest.Point) and isinstance(p.handle, MetaFFIHandle)
    assert p.X == 3.0
    p.X = 6.0
    assert p.X == 6.0
    assert guest.Apply(lambda x: x + 1, 41) == 42
    assert guest.Adder(5)(10) == 15
    with pytest.raises(MetaFFIError):
        guest.Divide(1, 0)


def test_java_stubs(tmp_path) -> None:
    source = os.path.join(FIXTURES, "stubs", "java", "com", "example", "Calc.java")
    calc = generate(source, str(tmp_path), "Calc_MetaFFIHost")
    calc.bind_module_to_code(source + ";" + os.path.join(os.path.dirname(source), "Receipt.java"), "openjdk")
    c = calc.Calc(40)
    assert c.addToMemory(2) == 42
    assert calc.Calc.add(2, 3) == 5
    assert calc.Calc.add("ab", "cd") == "abcd"
    assert calc.Calc.reduce([1, 2, 3, 4], lambda a, b: a * b) == 24


def test_python_stubs(tmp_path) -> None:
    source = os.path.join(FIXTURES, "python", "guest.py")
    guest = generate(source, str(tmp_path), "guest_MetaFFIHost")
    guest.bind_module_to_code(source, "python3")
    assert guest.multiply(3.0, 4.0) == 12.0
    assert list(guest.divmod_pair(17, 5)) == [3, 2]  # unannotated: any (a Python tuple comes back a list)
    with pytest.raises(Exception, match="boom"):
        guest.raise_value_error("boom")
    pt = guest.Point(3.0, 4.0)
    assert pt.norm2() == 25.0
