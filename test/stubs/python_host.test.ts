/**
 * Python host stubs (`metaffi -c --idl <source> -h python3`): from every source kind the
 * TypeScript stubs accept, the generated `<name>_MetaFFIHost.py` compiles (py_compile) and
 * passes `mypy --strict` together with a user program that calls it. mypy runs in the test
 * tools' environment (test/python_env.ts); the MetaFFI Python API is a typed stub package of
 * exactly its pinned public names, written into the work folder (MYPYPATH).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { generatePythonHost, toPyIdentifier } from '../../src/compiler/python3/index.js';
import { MetaFFIError } from '../../src/errors.js';
import { validateIdl } from '../../src/idl/json.js';
import { pythonTools } from '../python_env.js';
import { fixture } from '../support/fixtures.js';
import { metaffi, metaffiOk, workDir } from './helpers.js';
import { calcSource, classFolder, compileCalc, jarOf } from './java_support.js';

/** The public API of the `metaffi` Python package (distribution metaffi-api), as typed stubs. */
const API_STUB: Record<string, string> = {
  '__init__.pyi': `import enum
from typing import Any, Sequence

from .metaffi_types import metaffi_type_info

class MetaFFITypes(enum.IntEnum):
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
    metaffi_char8_type = 524288
    metaffi_char16_type = 1048576
    metaffi_char32_type = 2097152
    metaffi_string8_type = 4096
    metaffi_string16_type = 8192
    metaffi_string32_type = 16384
    metaffi_handle_type = 32768
    metaffi_array_type = 65536
    metaffi_size_type = 262144
    metaffi_any_type = 4194304
    metaffi_null_type = 8388608
    metaffi_callable_type = 16777216
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
    metaffi_char8_array_type = 589824
    metaffi_char16_array_type = 1114112
    metaffi_char32_array_type = 2162688
    metaffi_string8_array_type = 69632
    metaffi_string16_array_type = 73728
    metaffi_string32_array_type = 81920
    metaffi_handle_array_type = 98304
    metaffi_size_array_type = 327680
    metaffi_any_array_type = 4259840
    metaffi_null_array_type = 8454144
    metaffi_callable_array_type = 16842752

class MetaFFIError(Exception):
    foreign_type: str
    foreign_message: str
    foreign_stack: str

class MetaFFIHandle:
    def release(self) -> None: ...

class MetaFFIEntity:
    def __call__(self, *args: Any) -> Any: ...

class MetaFFIModule:
    def load_entity(self, entity_path: str, params_types: Sequence[metaffi_type_info | MetaFFITypes] | None = None,
                    retval_types: Sequence[metaffi_type_info | MetaFFITypes] | None = None) -> MetaFFIEntity: ...

class MetaFFIRuntime:
    def __init__(self, runtime_plugin: str) -> None: ...
    def load_runtime_plugin(self) -> None: ...
    def release_runtime_plugin(self) -> None: ...
    def load_module(self, module_path: str) -> MetaFFIModule: ...
`,
  'metaffi_types.pyi': `from typing import Any, Callable

from . import MetaFFITypes

class metaffi_type_info:
    def __init__(self, type: MetaFFITypes, alias: str | None = None, dimensions: int = 0) -> None: ...

def new_metaffi_type_info(type: MetaFFITypes, alias: str | None = None, dims: int = 0) -> metaffi_type_info: ...
def make_metaffi_callable(f: Callable[..., Any]) -> Any: ...
`,
  'py.typed': '',
};

let python = '';

/** `python -m py_compile` and `mypy --strict` over every .py file of `dir`. */
function pyCheck(dir: string, files: string[]): void {
  const api = join(dir, 'api-stub', 'metaffi');
  mkdirSync(api, { recursive: true });
  for (const [name, text] of Object.entries(API_STUB)) writeFileSync(join(api, name), text);
  const compiled = spawnSync(python, ['-m', 'py_compile', ...files], { cwd: dir, encoding: 'utf8' });
  assert.equal(compiled.status, 0, `py_compile failed:\n${compiled.stdout}${compiled.stderr}`);
  const r = spawnSync(python, ['-m', 'mypy', '--strict', '--no-incremental', '--cache-dir', join(dir, '.mypy_cache'), ...files],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, MYPYPATH: join(dir, 'api-stub') } });
  assert.equal(r.status, 0, `mypy --strict failed:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^Success: no issues found in \d+ source files?/m);
}

/** Generate the Python stubs of `source` into a fresh folder, with `program` (a user program) beside them. */
function generate(name: string, source: string, program: string, hostFlag = 'python3'): { dir: string; stub: string } {
  const dir = workDir(`pyhost-${name}`);
  const r = metaffiOk(['-c', '--idl', source, '-h', hostFlag, '-o', dir]);
  const file = r.stderr.match(/wrote (.*_MetaFFIHost\.py)/)?.[1];
  assert.ok(file, `no Python stub written:\n${r.stderr}`);
  writeFileSync(join(dir, 'use_stubs.py'), program);
  pyCheck(dir, [file, join(dir, 'use_stubs.py')]);
  return { dir, stub: readFileSync(file, 'utf8') };
}

const goProgram = `import geometry_MetaFFIHost as geometry
from geometry_MetaFFIHost import Rect


def main(path: str) -> float:
    geometry.bind_module_to_code(path)
    total: int = geometry.Add(2, 3)
    loud: str = geometry.Shout("go")
    r: Rect = geometry.NewRect(2.0, 3.0)
    r.Width = 4.0
    width: float = r.Width
    old: str = r.Rename("a")
    with Rect(5.0, 1.0) as other:
        largest: Rect = geometry.Largest([r, other])
    geometry.set_Scale(2.0)
    empty = Rect()
    empty.release()
    return total + width + geometry.get_Scale() + largest.Area() + len(loud + old)
`;

const shapesProgram = `from typing import Optional

import shapes_MetaFFIHost as shapes
from shapes_MetaFFIHost import Counter, Point


def main(path: str) -> str:
    shapes.bind_module_to_code(path, "python3")
    three: int = shapes.add(1, 2)
    doubled: list[float] = shapes.scale([1.0, 2.0])
    tripled: list[float] = shapes.scale([1.0], 3.0)
    hello: str = shapes.greet("Ann") + shapes.greet("Ann", "?", shout=True)
    ten: int = shapes.total(1, 2, 3, 4)
    wrapped: str = shapes.wrap("x") + shapes.wrap("x", ["[", "]"]) + shapes.wrap("x", ["(", ")"], 2)
    joined: str = shapes.joined("a", "b", sep="+")
    shapes.note("a")
    shapes.note("b", [])
    forty: int = shapes.apply(lambda x: x * 10, 4)
    lo, hi = shapes.min_max([5, -1, 9])
    p = Point(3.0, 4.0, "p")
    p.x = 6.0
    label: str = p.label
    p.tag = "q"
    moved: Point = p.moved(1.0, 1.0)
    found: Optional[Point] = shapes.find([p, moved], "q")
    origin: Point = Point.origin()
    pair: Point = Point.from_pair([1.0, 2.0])
    Point.set_dims(3)
    dims: int = Point.get_dims()
    with Counter() as c:
        n: int = c.add() + c.add(5)
        c.count = 100
    gone: str = p.release_()
    shapes.set_GREETING("hi")
    made: int = shapes.get_made()
    described: str = shapes.describe() + shapes.describe(None) + shapes.describe(moved)
    return " ".join(str(v) for v in [three, doubled, tripled, hello, ten, wrapped, joined, forty, lo, hi, label,
                                     found, origin, pair, dims, n, gone, made, described, shapes.default(5)])
`;

const calcProgram = `import Calc_MetaFFIHost as calc
from Calc_MetaFFIHost import Calc, Calc_Memo, Receipt


def main(path: str) -> list[object]:
    calc.bind_module_to_code(path)
    c = Calc()
    d = Calc(40)
    forty_two: int = d.addToMemory(2)
    c.memory = 7
    memory: int = c.memory
    copy: Calc = d.copy()
    receipt: Receipt = d.receipt()
    total: int = receipt.total
    i: int = Calc.add(2, 3)
    f: float = Calc.add(0.5, 0.25)
    s: str = Calc.add("ab", "cd")
    start: int = Calc.get_START()
    Calc.set_made(100)
    product: int = Calc.reduce([1, 2, 3, 4], lambda a, b: a * b)
    grid: list[list[str]] = Calc.grid(2)
    Calc.note("text")
    Calc.note(3)
    memo = Calc_Memo("hi")
    memo.text = "yo"
    shout: str = memo.shout()
    return [forty_two, memory, copy, total, i, f, s, start, product, grid, shout, memo.text, receipt.text()]
`;

const guestProgram = `import guest_MetaFFIHost as guest
from guest_MetaFFIHost import SomeClass, TestMap


def main(path: str) -> list[object]:
    guest.bind_module_to_code(path)
    m = TestMap()
    m.Set("k", 1)
    has: bool = m.Contains("k")
    m.Name = "m"
    same: TestMap = guest.NewTestMap()
    some: list[SomeClass] = guest.GetSomeClasses()
    printed = [x.Print() + x.Name for x in some]
    n, s, f, _, data, cls = guest.ReturnMultipleReturnValues()
    raw: bytes = data
    five: int = guest.get_FiveSeconds()
    guest.set_FiveSeconds(5)
    total: int = guest.CallCallbackAdd(lambda a, b: a + b)
    cube: list[list[list[int]]] = guest.Make3DArray()
    return [guest.HelloWorld(), guest.JoinStrings(["a", "b"]), guest.DivIntegers(1, 2), has, same.Name, printed,
            n, s, f, raw, cls.Print(), five, total, cube]
`;

describe('Python host stubs', () => {
  before(async () => {
    ({ python } = await pythonTools());
  });

  it('from a Go source: functions, a class with constructors and properties, globals', () => {
    const { stub } = generate('go', fixture('stubs', 'go', 'geometry.go'), goProgram);
    assert.match(stub, /^"""geometry_MetaFFIHost: typed Python functions and classes that call the go module geometry\.go\./);
    assert.match(stub, /Generated by `metaffi -c --idl .*geometry\.go -h python3` from geometry\.go\./);
    assert.match(stub, /\ndef bind_module_to_code\(module_path: str, runtime_plugin: str = runtime_name\) -> None:\n/);
    assert.match(stub, /\ndef Add\(a: int, b: int\) -> int:\n {4}"""Add adds two integers\."""\n {4}return _e_Add\(a, b\)\n/);
    assert.match(stub, /\ndef Largest\(rects: list\[Rect\]\) -> Rect:\n.*\n {4}return Rect\.from_handle\(_e_Largest\(\[x\.handle for x in rects\]\)\)/);
    assert.match(stub, / {4}@property\n {4}def Width\(self\) -> float:\n {8}return _e_Rect_Width_get\(self\.handle\)/);
    assert.match(stub, / {4}@Width\.setter\n {4}def Width\(self, value: float\) -> None:/);
    assert.match(stub, /_e_Add = module\.load_entity\(\n {8}'callable=Add',\n {8}\[MetaFFITypes\.metaffi_int64_type, MetaFFITypes\.metaffi_int64_type\],/);
    assert.match(stub, /\ndef get_Scale\(\) -> float:\n/);
    assert.match(stub, /\ndef set_Scale\(value: float\) -> None:\n/);
    // each call is one entity call: no lookups in the bodies
    assert.doesNotMatch(stub.slice(stub.indexOf('\ndef _describe_args') + 1), /load_entity|load_module/);
  });

  it('from a .py module: defaults, *args, keyword arguments, overloads, properties, None', () => {
    const { stub } = generate('py', fixture('stubs', 'python', 'shapes.py'), shapesProgram);
    assert.match(stub, /\ndef scale\(values: list\[float\], factor: float = 2\.0\) -> list\[float\]:/);
    assert.match(stub, /\ndef greet\(name: str, punctuation: str = '!', \*\*options: Any\) -> str:\n {4}return _e_greet\(name, punctuation, options\)/);
    assert.match(stub, /\ndef total\(\*numbers: int\) -> int:\n.*\n {4}return _e_total\(list\(numbers\)\)/);
    assert.match(stub, /\ndef default\(value: int\) -> int:/);
    assert.match(stub, /@overload\ndef wrap\(text: str, \/\) -> str:\n/);
    assert.match(stub, /\ndef wrap\(\*args: Any\) -> Any:\n/);
    assert.match(stub, /raise TypeError\('wrap: no overload takes \(' \+ _describe_args\(args\) \+ '\); expected \(str\) or/);
    assert.match(stub, /\ndef find\(points: list\[Point\], name: str\) -> Point \| None:\n {4}h = _e_find\(/);
    assert.match(stub, /\ndef describe\(point: Point \| None = None\) -> str:\n {4}return _e_describe\(None if point is None else point\.handle\)/);
    assert.match(stub, / {4}def release_\(self\) -> str:/);
    assert.match(stub, / {4}def __enter__\(self\) -> Counter:/);
    assert.match(stub, /"""Distance from the origin\."""/);
  });

  it('from a .py module with dataclasses, enums, slots and keyword-only parameters', () => {
    generate('records', fixture('stubs', 'python', 'records.py'), `import records_MetaFFIHost as records
from records_MetaFFIHost import Item, Slotted, Sub


def main(path: str) -> list[object]:
    records.bind_module_to_code(path)
    i = Item("a", 2.0)
    total: float = i.total(3)
    i.tags = ["x"]
    return [total, i.tags, Slotted(1, 2).b, Sub("s").extra(), records.pos_only(1, 2), records.pos_only(1, 2, c=10)]
`);
  });

  it('from a .java file, a class folder and a jar: overloads, static fields, nested classes', () => {
    const { stub } = generate('java', calcSource, calcProgram);
    assert.match(stub, / {4}@overload\n {4}@staticmethod\n {4}def add\(a: int, b: int, \/\) -> int:/);
    assert.match(stub, / {4}@overload\n {4}@staticmethod\n {4}def add\(a: str, b: str, \/\) -> str:/);
    assert.match(stub, /'class=com\.example\.Calc,callable=<init>',\n {8}\[MetaFFITypes\.metaffi_int64_type\]/);
    assert.match(stub, /\nclass Calc_Memo:\n/);
    assert.match(stub, / {4}@staticmethod\n {4}def get_START\(\) -> int:/);
    assert.match(stub, /metaffi_type_info\(MetaFFITypes\.metaffi_callable_type, 'java\.util\.function\.IntBinaryOperator'\)/);
    const folder = workDir('pyhost-java-classes');
    const classes = compileCalc(classFolder(folder), true);
    generate('java-folder', classes, calcProgram.replace(/Calc_MetaFFIHost/g, 'classes_MetaFFIHost'));
    const jar = jarOf(classes, join(folder, 'Calc.jar'));
    generate('java-jar', jar, calcProgram);
  });

  it("from MetaFFI's own Go guest IDL (JSON): several results, packed bytes, 3-D arrays, callbacks", () => {
    const { stub } = generate('json', fixture('stubs', 'metaffi-go-guest.idl.json'), guestProgram);
    assert.doesNotMatch(stub, /module=|package=/);
    assert.match(stub, /\ndef GetSomeClasses\(\) -> list\[SomeClass\]:\n(?: {4}""".*\n)? {4}return \[SomeClass\.from_handle\(h\) for h in _e_GetSomeClasses\(\)\]/);
    assert.match(stub, /\ndef Make3DArray\(\) -> list\[list\[list\[int\]\]\]:/);
    assert.match(stub, /metaffi_type_info\(MetaFFITypes\.metaffi_int64_array_type, None, 3\)/);
    assert.match(stub, /\ndef CallCallbackAdd\(add: Callable\[\.\.\., Any\]\) -> int:/);
    assert.match(stub, /-> tuple\[int, str, float, Any, bytes, SomeClass\]:/);
  });

  it('the -h forms: python3, py, python, several languages after one -h, commas', () => {
    const source = fixture('stubs', 'go', 'geometry.go');
    for (const [name, args] of [['py', ['-h', 'py']], ['python', ['-h', 'python']], ['both', ['-h', 'typescript', 'python3']],
      ['comma', ['-h', 'ts,py']], ['repeated', ['-h', 'python3', '-h', 'typescript', '-h', 'py']]] as const) {
      const dir = workDir(`pyhost-flags-${name}`);
      const r = metaffiOk(['-c', '--idl', source, ...args, '-o', dir]);
      const wrote = [...r.stderr.matchAll(/wrote .*\/(\S+)/g)].map((m) => m[1]).sort();
      const expected = name === 'py' || name === 'python' ? ['geometry_MetaFFIHost.py'] : ['geometry_MetaFFIHost.py', 'geometry_MetaFFIHost.ts'];
      assert.deepEqual(wrote, expected, `metaffi ${args.join(' ')}`);
    }
    // the languages after -h stop at the next flag
    const dir = workDir('pyhost-flags-then-output');
    metaffiOk(['-c', '-h', 'typescript', 'python3', '--idl', source, '-o', dir]);
    const unknown = metaffi(['-c', '--idl', source, '-h', 'python3', 'cobol', '-o', dir]);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /-h cobol: unknown host language; supported: typescript, python3/);
    assert.match(metaffiOk(['--help']).stdout, /-h, --host <lang>\.\.\. .*typescript, python3/);
  });

  it('renames names that are not Python identifiers, and refuses impossible ones', () => {
    assert.equal(toPyIdentifier('lambda', 'function'), 'lambda_');
    assert.equal(toPyIdentifier('None', 'function'), 'None_');
    assert.equal(toPyIdentifier('2d-point', 'class'), '_2d_point');
    assert.equal(toPyIdentifier('get$x', 'function'), 'get_x');
    assert.throws(() => toPyIdentifier('+', 'function'), (e: unknown) =>
      e instanceof MetaFFIError && /function '\+' cannot become a Python identifier/.test(e.message));
    const arg = (name: string, type: string) => ({ name, type, type_alias: '', comment: '', tags: {}, dimensions: 0, is_optional: false });
    const fn = (name: string, params: unknown[]) =>
      ({ name, comment: '', tags: {}, entity_path: { callable: name }, parameters: params, return_values: [arg('r', 'int64')], overload_index: 0 });
    const idl = validateIdl({
      idl_source: 'names', idl_extension: '.json', idl_filename_with_extension: 'names.json', idl_full_path: '/x/names.json',
      metaffi_guest_lib: 'names_MetaFFIGuest', target_language: 'go',
      modules: [{ name: 'names', comment: '', tags: {}, external_resources: [], classes: [], globals: [],
        functions: [fn('class', [arg('from', 'int64'), arg('self', 'int64')]), fn('isinstance', [arg('_e_x', 'int64')]), fn('list', [])] }],
    }, 'names');
    const text = generatePythonHost(idl);
    assert.match(text, /\ndef class_\(from_: int, self_: int\) -> int:/);
    assert.match(text, /\ndef isinstance_\(p_e_x: int\) -> int:/);
    assert.match(text, /\ndef list_\(\) -> int:/);
    idl.modules[0]!.functions.push(fn('<>', []) as never);
    assert.throws(() => generatePythonHost(idl), /'<>' cannot become a Python identifier/);
  });
});
