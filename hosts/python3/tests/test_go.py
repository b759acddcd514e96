"""Python host -> Go guest: every kind of value, handles, callbacks both ways, errors."""
import threading

import pytest

from metaffi import MetaFFIError, MetaFFIHandle, MetaFFIRuntime, MetaFFITypes as T, make_metaffi_callable
from metaffi.metaffi_types import metaffi_type_info, new_metaffi_type_info as ti


@pytest.fixture(scope="module")
def go(go_guest: str):
    return MetaFFIRuntime("go").load_module(go_guest)


def test_scalars_and_strings(go) -> None:
    add = go.load_entity("callable=Add", [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type])
    assert add(2, 40) == 42
    echo = go.load_entity("callable=EchoInt64", [T.metaffi_int64_type], [T.metaffi_int64_type])
    for v in (-(2**63), 2**63 - 1, 0, 9007199254740993):
        assert echo(v) == v  # 64-bit exact
    s = go.load_entity("callable=EchoString", [T.metaffi_string8_type], [T.metaffi_string8_type])
    for text in ("", "héllo", "日本語", "emoji 😀", "nul\0inside"):
        assert s(text) == text
    noop = go.load_entity("callable=NoOp", [], [])
    assert noop() is None


def test_several_results_are_a_tuple(go) -> None:
    divmod_ = go.load_entity("callable=DivMod", [T.metaffi_int64_type] * 2, [T.metaffi_int64_type] * 2)
    assert divmod_(17, 5) == (3, 2)


def test_arrays(go) -> None:
    sum_ints = go.load_entity("callable=SumInts", [ti(T.metaffi_int64_array_type, dims=1)], [T.metaffi_int64_type])
    assert sum_ints([1, 2, 3, 2**40]) == 6 + 2**40
    matrix = go.load_entity("callable=Matrix", [T.metaffi_int64_type] * 2, [metaffi_type_info(T.metaffi_int64_type, dimensions=2)])
    assert matrix(2, 3) == [[0, 1, 2], [3, 4, 5]] or isinstance(matrix(2, 3), list)
    sum3d = go.load_entity("callable=Sum3D", [metaffi_type_info(T.metaffi_int64_type, dimensions=3)], [T.metaffi_int64_type])
    assert sum3d([[[1, 2], [3]], [[4]]]) == 10
    data = go.load_entity("callable=Bytes", [ti(T.metaffi_uint8_array_type, dims=1)], [ti(T.metaffi_uint8_array_type, dims=1)])
    got = data(b"abc")
    assert bytes(got) == bytes(data(bytearray(b"abc")))
    words = go.load_entity("callable=Words", [T.metaffi_string8_type], [ti(T.metaffi_string8_array_type, dims=1)])
    assert words(" a bb  ccc ") == ["a", "bb", "ccc"]


def test_handles(go) -> None:
    new_point = go.load_entity("callable=NewPoint", [T.metaffi_float64_type] * 2, [T.metaffi_handle_type])
    move = go.load_entity("callable=Point.Move,instance_required", [T.metaffi_handle_type, T.metaffi_float64_type, T.metaffi_float64_type], [])
    get_x = go.load_entity("field=Point.X,getter,instance_required", [T.metaffi_handle_type], [T.metaffi_float64_type])
    p = new_point(1.0, 2.0)
    assert isinstance(p, MetaFFIHandle) and p.runtime == "go"
    move(p, 2.0, 0.5)
    assert get_x(p) == 3.0
    p.release()
    assert p.released
    with pytest.raises(MetaFFIError, match="released"):
        get_x(p)


def test_python_function_into_go(go) -> None:
    apply = go.load_entity("callable=Apply", [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_int64_type])
    assert apply(lambda x: x * 3, 14) == 42
    assert apply(make_metaffi_callable(lambda x: x + 1), 1) == 2
    call_async = go.load_entity("callable=CallAsync", [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_int64_type])
    assert call_async(lambda x: x + 100, 1) == 101  # called from another goroutine (another thread)


def test_go_function_back_into_python(go) -> None:
    adder = go.load_entity("callable=Adder", [T.metaffi_int64_type], [T.metaffi_callable_type])
    add5 = adder(5)
    assert callable(add5) and add5(10) == 15
    compose = go.load_entity("callable=Compose", [T.metaffi_callable_type] * 2, [T.metaffi_callable_type])
    f = compose(add5, lambda x: x * 2)
    assert f(1) == 12


def test_go_errors_and_panics(go) -> None:
    divide = go.load_entity("callable=Divide", [T.metaffi_int64_type] * 2, [T.metaffi_int64_type])
    assert divide(9, 3) == 3
    with pytest.raises(MetaFFIError) as e:
        divide(1, 0)
    assert "zero" in str(e.value)
    must = go.load_entity("callable=MustPositive", [T.metaffi_int64_type], [T.metaffi_int64_type])
    with pytest.raises(MetaFFIError, match="panic|positive"):
        must(-1)
    assert must(4) == 4  # the runtime goes on


def test_python_exception_in_callback_reaches_go_and_comes_back(go) -> None:
    apply_err = go.load_entity("callable=ApplyErr", [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_int64_type])

    def boom(x: int) -> int:
        raise ValueError(f"bad {x}")

    with pytest.raises(MetaFFIError, match="bad 7"):
        apply_err(boom, 7)


def test_bad_input_is_a_clear_error(go) -> None:
    add = go.load_entity("callable=Add", [T.metaffi_int64_type, T.metaffi_int64_type], [T.metaffi_int64_type])
    with pytest.raises(TypeError, match="expects 2 arguments"):
        add(1)
    with pytest.raises(TypeError):
        add("1", 2)
    with pytest.raises(OverflowError):
        add(2**64, 1)
    with pytest.raises(MetaFFIError, match="unknown key"):
        go.load_entity("function=Add", [], [])
    with pytest.raises(MetaFFIError):
        go.load_entity("callable=NoSuchThing", [], [])
    with pytest.raises(MetaFFIError, match="no Go guest library"):
        MetaFFIRuntime("go").load_module("/no/such/guest")


def test_gil_is_released_during_go_calls(go) -> None:
    apply = go.load_entity("callable=Apply", [T.metaffi_callable_type, T.metaffi_int64_type], [T.metaffi_int64_type])
    results = []

    def worker(n: int) -> None:
        for i in range(200):
            results.append(apply(lambda x: x + 1, i + n))

    threads = [threading.Thread(target=worker, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 800 and sorted(results)[0] == 1


def test_buffers_for_packed_arrays(go) -> None:
    import array

    import numpy as np

    sum_ints = go.load_entity("callable=SumInts", [metaffi_type_info(T.metaffi_int64_type, dimensions=1)], [T.metaffi_int64_type])
    assert sum_ints(np.arange(10, dtype=np.int64)) == 45  # one copy of the buffer
    assert sum_ints(array.array("q", [1, 2, 3])) == 6
    assert sum_ints(np.arange(10, dtype=np.int32)) == 45  # other widths: item by item
    assert sum_ints(np.arange(6, dtype=np.int64)[::2]) == 6  # not contiguous: item by item
    assert sum_ints([np.int64(2), 3]) == 5
    doubles = go.load_entity("callable=Doubles", [metaffi_type_info(T.metaffi_float64_type, dimensions=1)],
                             [metaffi_type_info(T.metaffi_float64_type, dimensions=1)])
    assert doubles(np.array([1.5, 2.5])) == doubles([1.5, 2.5])
    data = go.load_entity("callable=Bytes", [metaffi_type_info(T.metaffi_uint8_type, dimensions=1)],
                          [metaffi_type_info(T.metaffi_uint8_type, dimensions=1)])
    assert data(memoryview(b"abc")) == data(b"abc") == data(bytearray(b"abc")) == data(np.frombuffer(b"abc", dtype=np.uint8))
    with pytest.raises(TypeError, match=r"argument 1\[0\]"):
        sum_ints(np.array([1.5, 2.5]))


def test_a_second_go_guest_is_a_clear_error(go, go_guest: str, tmp_path) -> None:
    import shutil

    same = MetaFFIRuntime("go").load_module(go_guest + ".so")  # the same library again is fine
    assert same.load_entity("callable=Add", [T.metaffi_int64_type] * 2, [T.metaffi_int64_type])(1, 2) == 3
    other = tmp_path / "other_MetaFFIGuest.so"
    shutil.copy(go_guest + ".so", other)
    with pytest.raises(MetaFFIError, match="one Go guest"):
        MetaFFIRuntime("go").load_module(str(other))
    add = go.load_entity("callable=Add", [T.metaffi_int64_type] * 2, [T.metaffi_int64_type])
    assert add(5, 6) == 11  # the runtime goes on


def test_metaffi_style_usage(go_guest: str) -> None:
    """The forms MetaFFI's own Python examples use: module-level type names, load(...) with
    None for no types, globals through getters and setters, Python objects kept by Go as any."""
    import collections

    import metaffi.metaffi_module
    import metaffi.metaffi_runtime
    from metaffi.metaffi_types import metaffi_any_type, metaffi_int64_type, metaffi_string8_type, new_metaffi_type_info

    runtime = metaffi.metaffi_runtime.MetaFFIRuntime("go")
    runtime.load_runtime_plugin()
    module: metaffi.metaffi_module.MetaFFIModule = runtime.load_module(go_guest + ".so")
    module.load("callable=NoOp", None, None)()
    get_counter = module.load("global=Counter,getter", None, [new_metaffi_type_info(metaffi_int64_type)])
    set_greeting = module.load("global=Greeting,setter", [new_metaffi_type_info(metaffi_string8_type)], None)
    get_greeting = module.load("global=Greeting,getter", None, [new_metaffi_type_info(metaffi_string8_type)])
    assert get_counter() == 7
    set_greeting("hello from Python")
    assert get_greeting() == "hello from Python"
    echo_any = module.load("callable=EchoAny", [new_metaffi_type_info(metaffi_any_type)], [new_metaffi_type_info(metaffi_any_type)])
    deq = collections.deque([600])
    back = echo_any(deq)
    assert back is deq and back.pop() == 600  # the same Python object, through Go
