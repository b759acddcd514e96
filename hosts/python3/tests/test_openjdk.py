"""Python host -> Java: JDK classes, a .java source and class folder, handles, callbacks, exceptions."""
import os

import pytest

from metaffi import MetaFFIError, MetaFFIHandle, MetaFFIRuntime, MetaFFITypes as T
from metaffi.metaffi_types import new_metaffi_type_info as ti


@pytest.fixture(scope="module")
def jdk():
    return MetaFFIRuntime("openjdk").load_module("java.base")


def test_jdk_static_methods(jdk) -> None:
    mx = jdk.load_entity("class=java.lang.Math,callable=max", [T.metaffi_int64_type] * 2, [T.metaffi_int64_type])
    assert mx(3, 2**62) == 2**62
    parse = jdk.load_entity("class=java.lang.Integer,callable=parseInt", [T.metaffi_string8_type], [T.metaffi_int32_type])
    assert parse("-42") == -42


def test_objects_as_handles(jdk) -> None:
    new_list = jdk.load_entity("class=java.util.ArrayList,callable=<init>", [], [T.metaffi_handle_type])
    add = jdk.load_entity("class=java.util.ArrayList,callable=add,instance_required", [T.metaffi_handle_type, T.metaffi_any_type], [T.metaffi_bool_type])
    size = jdk.load_entity("class=java.util.ArrayList,callable=size,instance_required", [T.metaffi_handle_type], [T.metaffi_int32_type])
    get = jdk.load_entity("class=java.util.ArrayList,callable=get,instance_required", [T.metaffi_handle_type, T.metaffi_int32_type], [T.metaffi_any_type])
    lst = new_list()
    assert isinstance(lst, MetaFFIHandle) and lst.runtime == "openjdk"
    add(lst, "x")
    add(lst, 5)
    assert size(lst) == 2 and get(lst, 0) == "x"


def test_java_exception_is_metaffi_error(jdk) -> None:
    parse = jdk.load_entity("class=java.lang.Integer,callable=parseInt", [T.metaffi_string8_type], [T.metaffi_int32_type])
    with pytest.raises(MetaFFIError) as e:
        parse("zz")
    assert e.value.foreign_type == "java.lang.NumberFormatException"
    assert "zz" in e.value.foreign_message
    assert parse("7") == 7


def test_python_function_as_java_interface(jdk) -> None:
    # java.util.function.Function.apply through a Python callable
    new_list = jdk.load_entity("class=java.util.ArrayList,callable=<init>", [], [T.metaffi_handle_type])
    add = jdk.load_entity("class=java.util.ArrayList,callable=add,instance_required", [T.metaffi_handle_type, T.metaffi_any_type], [T.metaffi_bool_type])
    for_each = jdk.load_entity("class=java.util.ArrayList,callable=forEach,instance_required", [T.metaffi_handle_type, T.metaffi_callable_type], [])
    lst = new_list()
    for v in ("a", "b", "c"):
        add(lst, v)
    seen = []
    for_each(lst, lambda item: seen.append(item))
    assert seen == ["a", "b", "c"]


def test_java_source_and_class_folder(java_guest_src: str) -> None:
    sources = ";".join(os.path.join(java_guest_src, f) for f in sorted(os.listdir(java_guest_src))
                       if f.endswith(".java") and not f.startswith("Bad"))
    m = MetaFFIRuntime("openjdk").load_module(sources)
    echo = m.load_entity("class=guest.Guest,callable=echoLong", [T.metaffi_int64_type], [T.metaffi_int64_type])
    assert echo(-(2**63)) == -(2**63)
    big = m.load_entity("class=guest.Guest,field=big,getter", [], [T.metaffi_int64_type])
    assert big() == (1 << 62) + 1


def test_bad_input(jdk) -> None:
    with pytest.raises(MetaFFIError, match="missing class"):
        jdk.load_entity("callable=max", [], [])
    with pytest.raises(MetaFFIError):
        jdk.load_entity("class=java.lang.NoSuchClass,callable=f", [], [])
    with pytest.raises(MetaFFIError, match="does not exist|no such"):
        MetaFFIRuntime("openjdk").load_module("/no/such.jar")


def test_class_folder(java_support: dict) -> None:
    m = MetaFFIRuntime("openjdk").load_module(java_support["classes"])
    echo = m.load_entity("class=guest.Guest,callable=echoLong", [T.metaffi_int64_type], [T.metaffi_int64_type])
    assert echo(2**63 - 1) == 2**63 - 1
    new_guest = m.load_entity("class=guest.Guest,callable=<init>", [T.metaffi_string8_type], [T.metaffi_handle_type])
    g = new_guest("named")
    assert isinstance(g, MetaFFIHandle)


def test_log4j_from_a_jar_list(java_support: dict, capfd: pytest.CaptureFixture) -> None:
    jars = java_support["log4j"]
    assert ";" in jars
    log4j = MetaFFIRuntime("openjdk").load_module(jars)
    get_logger = log4j.load_entity("class=org.apache.logging.log4j.LogManager,callable=getLogger",
                                   [T.metaffi_string8_type], [T.metaffi_handle_type])
    error = log4j.load_entity("class=org.apache.logging.log4j.Logger,callable=error,instance_required",
                              [T.metaffi_handle_type, T.metaffi_string8_type], [])
    get_name = log4j.load_entity("class=org.apache.logging.log4j.Logger,callable=getName,instance_required",
                                 [T.metaffi_handle_type], [T.metaffi_string8_type])
    logger = get_logger("metaffi.python")
    assert get_name(logger) == "metaffi.python"
    error(logger, "an error from Python ✓")
    assert "ERROR metaffi.python - an error from Python ✓" in capfd.readouterr().out
