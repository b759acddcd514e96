"""The Python host's benchmark: void, int64 and 40-character string calls into Java and Go
through metaffi, beside JPype (Python -> Java) and ctypes calling the exported cgo functions
of the same Go code (Python -> Go). Prints one JSON object: {cell: ns per call or error}."""
import ctypes
import json
import sys
import time

ROUND_S = float(sys.argv[5]) if len(sys.argv) > 5 else 0.3
ROUNDS = 5


def per_call(f, *args):
    """Median over rounds of the time per call, in ns (loop overhead included, as for every cell)."""
    for _ in range(2000):
        f(*args)
    n = 1000
    while True:
        t = time.perf_counter()
        for _ in range(n):
            f(*args)
        dt = time.perf_counter() - t
        if dt > ROUND_S / 4:
            break
        n *= 4
    runs = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        for _ in range(n):
            f(*args)
        runs.append((time.perf_counter() - t) / n * 1e9)
    runs.sort()
    return runs[len(runs) // 2]


def cell(results, name, make):
    try:
        f, args = make()
        results[name] = per_call(f, *args)
    except Exception as e:  # a missing peer is reported, not fatal
        results[name] = f"unavailable: {type(e).__name__}: {e}"


def metaffi_cells(results, java_classes, go_guest, text):
    from metaffi import MetaFFIRuntime, MetaFFITypes as T
    jm = MetaFFIRuntime("openjdk").load_module(java_classes)
    gm = MetaFFIRuntime("go").load_module(go_guest)
    i64, s8 = [T.metaffi_int64_type], [T.metaffi_string8_type]
    cell(results, "metaffi openjdk void", lambda: (jm.load_entity("class=bench.Bench,callable=noop", [], []), ()))
    cell(results, "metaffi openjdk int64", lambda: (jm.load_entity("class=bench.Bench,callable=echo", i64, i64), (7,)))
    cell(results, "metaffi openjdk string", lambda: (jm.load_entity("class=bench.Bench,callable=echo", s8, s8), (text,)))
    cell(results, "metaffi go void", lambda: (gm.load_entity("callable=Noop", [], []), ()))
    cell(results, "metaffi go int64", lambda: (gm.load_entity("callable=EchoInt64", i64, i64), (7,)))
    cell(results, "metaffi go string", lambda: (gm.load_entity("callable=EchoString", s8, s8), (text,)))


def ctypes_cells(results, cshared, text):
    lib = ctypes.CDLL(cshared)
    lib.Noop.restype = None
    lib.EchoInt64.argtypes = [ctypes.c_int64]
    lib.EchoInt64.restype = ctypes.c_int64
    lib.EchoString.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.EchoString.restype = ctypes.c_int
    out = ctypes.create_string_buffer(256)

    def echo_string(s):
        b = s.encode()
        n = lib.EchoString(b, len(b), out, 256)
        return out.raw[:n].decode()

    cell(results, "ctypes go void", lambda: (lib.Noop, ()))
    cell(results, "ctypes go int64", lambda: (lib.EchoInt64, (7,)))
    cell(results, "ctypes go string", lambda: (echo_string, (text,)))


def jpype_cells(results, java_classes, text):
    """In a process of its own: JPype starts its own JVM."""
    try:
        import jpype
        jpype.startJVM(classpath=[java_classes], convertStrings=True)
        bench = jpype.JClass("bench.Bench")
        cell(results, "jpype openjdk void", lambda: (bench.noop, ()))
        cell(results, "jpype openjdk int64", lambda: (bench.echo, (jpype.JLong(7),)))
        cell(results, "jpype openjdk string", lambda: (bench.echo, (jpype.JString(text),)))
    except Exception as e:
        for k in ("void", "int64", "string"):
            results[f"jpype openjdk {k}"] = f"unavailable: {type(e).__name__}: {e}"


def main():
    mode, java_classes, go_guest, cshared = sys.argv[1:5]
    text = "x" * 40
    results = {}
    if mode == "jpype":
        jpype_cells(results, java_classes, text)
    else:
        metaffi_cells(results, java_classes, go_guest, text)
        ctypes_cells(results, cshared, text)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
