"""Python host -> python3 guest modules (the same interpreter), and handles between runtimes."""
import os

import pytest

from metaffi import MetaFFIError, MetaFFIRuntime, MetaFFITypes as T
from conftest import FIXTURES


@pytest.fixture(scope="module")
def guest():
    return MetaFFIRuntime("python3").load_module(os.path.join(FIXTURES, "python", "guest.py"))


def test_calls(guest) -> None:
    multiply = guest.load_entity("callable=multiply", [T.metaffi_float64_type] * 2, [T.metaffi_float64_type])
    assert multiply(3.0, 4.0) == 12.0
    divmod_pair = guest.load_entity("callable=divmod_pair", [T.metaffi_int64_type] * 2, [T.metaffi_int64_type] * 2)
    assert divmod_pair(17, 5) == (3, 2)


def test_exceptions(guest) -> None:
    raise_value_error = guest.load_entity("callable=raise_value_error", [T.metaffi_string8_type], [])
    with pytest.raises(Exception, match="boom"):
        raise_value_error("boom")


def test_handle_crosses_runtimes(guest, go_guest: str) -> None:
    """A Java object passed through Go comes back as the same Java object."""
    jdk = MetaFFIRuntime("openjdk").load_module("java.base")
    go = MetaFFIRuntime("go").load_module(go_guest)
    new_sb = jdk.load_entity("class=java.lang.StringBuilder,callable=<init>", [], [T.metaffi_handle_type])
    append = jdk.load_entity("class=java.lang.StringBuilder,callable=append,instance_required", [T.metaffi_handle_type, T.metaffi_string8_type], [T.metaffi_handle_type])
    to_string = jdk.load_entity("class=java.lang.StringBuilder,callable=toString,instance_required", [T.metaffi_handle_type], [T.metaffi_string8_type])
    echo_any = go.load_entity("callable=EchoAny", [T.metaffi_any_type], [T.metaffi_any_type])
    sb = new_sb()
    append(sb, "crossed")
    back = echo_any(sb)
    assert to_string(back) == "crossed"


def test_released_runtime(go_guest: str) -> None:
    rt = MetaFFIRuntime("go")
    m = rt.load_module(go_guest)
    noop = m.load_entity("callable=NoOp", [], [])
    noop()
    rt.release_runtime_plugin()
    with pytest.raises(MetaFFIError, match="released"):
        noop()
    rt.load_runtime_plugin()
    MetaFFIRuntime("go").load_module(go_guest).load_entity("callable=NoOp", [], [])()
