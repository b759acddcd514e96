import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateTypeScriptHost, toIdentifier } from '../../src/compiler/typescript/index.js';
import { MetaFFIError } from '../../src/errors.js';
import { readIdlJson, validateIdl } from '../../src/idl/json.js';
import { fixture } from '../support/fixtures.js';
import { metaffi, metaffiOk, typeCheck, workDir } from './helpers.js';

/** A real IDL file written by MetaFFI's own Go extractor (its test guest module). */
const sharedFixture = fixture('stubs', 'metaffi-go-guest.idl.json');

/** A user program against the stubs of MetaFFI's own Go test guest (type-checked only:
 * running it needs that guest library). */
const program = `
import { bindModuleToCode, DivIntegers, GetSomeClasses, HelloWorld, JoinStrings, NewTestMap, ReturnMultipleReturnValues,
  SomeClass, TestMap, getFiveSeconds, setFiveSeconds, CallCallbackAdd } from './guest_MetaFFIHost.js';

export function useGuest(path: string): string[] {
  bindModuleToCode(path);
  const map: TestMap = new TestMap();
  map.Set('k', 1);
  const has: boolean = map.Contains('k');
  map.Name = 'm';
  const same: TestMap = NewTestMap();
  const some: SomeClass[] = GetSomeClasses();
  const printed: string[] = some.map((s) => s.Print() + s.Name);
  const [n, s, f, , bytes, cls] = ReturnMultipleReturnValues();
  const five: number | bigint = getFiveSeconds();
  setFiveSeconds(5n);
  const sum: number | bigint = CallCallbackAdd((a: number, b: number) => a + b);
  return [HelloWorld(), JoinStrings(['a', 'b']), String(DivIntegers(1, 2)), String(has), same.Name, ...printed,
    String(n), s, String(f), String(bytes.length), cls.Print(), String(five), String(sum)];
}
`;

/** A hand-written Go-style IDL: what the Go guest compiler's extractor writes. */
function goStyleIdl(): unknown {
  const arg = (name: string, type: string, alias = '', dimensions = 0) =>
    ({ name, type, type_alias: alias, comment: '', tags: {}, dimensions, is_optional: false });
  const fn = (name: string, path: Record<string, string>, parameters: unknown[], return_values: unknown[], extra = {}) =>
    ({ name, comment: '', tags: {}, entity_path: { ...path, module: '/src/shop', package: 'shop' }, parameters, return_values, overload_index: 0, ...extra });
  return {
    idl_source: 'shop', idl_extension: '.go', idl_filename_with_extension: 'shop.go', idl_full_path: '/src/shop/shop.go',
    metaffi_guest_lib: 'shop_MetaFFIGuest', target_language: 'go',
    modules: [{
      name: 'shop', comment: 'Package shop sells things.', tags: {}, external_resources: [],
      functions: [
        { ...fn('NewCart', { callable: 'NewCart' }, [arg('owner', 'string8', 'string')], [arg('r', 'handle', '*Cart')]), comment: 'NewCart makes an empty cart.' },
        fn('Total', { callable: 'Total' }, [arg('carts', 'handle', '[]*Cart', 1)], [arg('r', 'float64', 'float64')]),
      ],
      classes: [{
        name: 'Cart', comment: 'Cart holds items.', tags: {}, entity_path: null, release: fn('ReleaseCart', {}, [arg('this_instance', 'handle')], []),
        constructors: [fn('NewCart', { callable: 'NewCart' }, [arg('owner', 'string8', 'string')], [arg('r', 'handle', '*Cart')])],
        methods: [fn('Add', { callable: 'Cart.Add' }, [arg('this_instance', 'handle'), arg('price', 'float64', 'float64')], [arg('r', 'int64', 'int')], { instance_required: true })],
        fields: [{ ...arg('Owner', 'string8', 'string'),
          getter: fn('GetOwner', { field: 'Cart.Owner', getter: 'true' }, [arg('this_instance', 'handle')], [arg('r', 'string8')]),
          setter: fn('SetOwner', { field: 'Cart.Owner', setter: 'true' }, [arg('this_instance', 'handle'), arg('Owner', 'string8')], []) }],
      }],
      globals: [{ ...arg('TaxRate', 'float64', 'float64'),
        getter: fn('GetTaxRate', { global: 'TaxRate', getter: 'true' }, [], [arg('r', 'float64')]),
        setter: fn('SetTaxRate', { global: 'TaxRate', setter: 'true' }, [arg('v', 'float64')], []) }],
    }],
  };
}

describe('IDL JSON and the TypeScript host compiler', () => {
  it('compiles the MetaFFI Go guest IDL into stubs that type-check under --strict', () => {
    const dir = workDir('json-fixture');
    metaffiOk(['-c', '--idl', sharedFixture, '-h', 'typescript', '-o', dir]);
    const stub = readFileSync(join(dir, 'guest_MetaFFIHost.ts'), 'utf8');
    // module and package are not part of entity paths; Go field accessors take the object
    assert.doesNotMatch(stub, /module=|package=/);
    assert.match(stub, /'field=SomeClass\.Name,instance_required,getter',\s+\[T\.metaffi_handle_type\],\s+\[T\.metaffi_string8_type\]/);
    assert.match(stub, /'global=FiveSeconds,setter',\s+\[T\.metaffi_int64_type\],\s+null/);
    assert.match(stub, /'callable=TestMap\.Get,instance_required'/);
    assert.match(stub, /export function GetSomeClasses\(\): SomeClass\[\] \{/);
    assert.match(stub, /export function Make3DArray\(\): \(number \| bigint\)\[\]\[\]\[\] \{/);
    writeFileSync(join(dir, 'use_guest.ts'), program);
    typeCheck(dir);
  });

  it('compiles a hand-written Go-style IDL', () => {
    const dir = workDir('json-go-style');
    writeFileSync(join(dir, 'shop.idl.json'), JSON.stringify(goStyleIdl()));
    metaffiOk(['-c', '--idl', join(dir, 'shop.idl.json'), '-h', 'typescript', '-o', dir]);
    const stub = readFileSync(join(dir, 'shop_MetaFFIHost.ts'), 'utf8');
    assert.match(stub, /\/\*\* Cart holds items\. \*\/\nexport class Cart \{/);
    assert.match(stub, /constructor\(owner: string\) \{\n {4}this\.handle = entities\.Cart_new\(owner\) as MetaFFIHandle;/);
    assert.match(stub, /export function Total\(carts: readonly Cart\[\]\): number \{\n {2}return entities\.Total\(carts\.map\(\(x\) => x\.handle\)\) as number;/);
    assert.match(stub, /export function getTaxRate\(\): number/);
    assert.match(stub, /'callable=NewCart',\s+\[T\.metaffi_string8_type\],\s+\[T\.metaffi_handle_type\]/);
    writeFileSync(join(dir, 'use_shop.ts'), `
import { bindModuleToCode, Cart, NewCart, Total, getTaxRate, setTaxRate } from './shop_MetaFFIHost.js';
export function shop(path: string): number {
  bindModuleToCode(path);
  const a = new Cart('ann');
  const b: Cart = NewCart('bo');
  a.Add(2.5);
  b.Owner = a.Owner + '!';
  setTaxRate(getTaxRate() * 2);
  return Total([a, b]);
}
`);
    typeCheck(dir);
  });

  it('rejects what is not a MetaFFI IDL, saying where', () => {
    const dir = workDir('json-bad');
    const bad = (name: string, text: string): string => {
      const file = join(dir, name);
      writeFileSync(file, text);
      const r = metaffi(['-c', '--idl', file, '-h', 'typescript', '-o', dir]);
      assert.equal(r.status, 1);
      return r.stderr;
    };
    assert.match(bad('a.json', '{ nope'), /a\.json is not valid JSON/);
    assert.match(bad('b.json', '{"modules": []}'), /target_language: expected a string, got undefined/);
    const wrongType = goStyleIdl() as { modules: { functions: { parameters: { type: string }[] }[] }[] };
    wrongType.modules[0]!.functions[0]!.parameters[0]!.type = 'int65';
    assert.match(bad('c.json', JSON.stringify(wrongType)),
      /modules\[0\] \(shop\)\.functions\[0\] \(NewCart\)\.parameters\[0\]\.type: 'int65' is not a MetaFFI type/);
    assert.throws(() => readIdlJson(join(dir, 'missing.json')), /cannot read .*missing\.json/);
    // sources that are not a module of any kind
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const txt = metaffi(['-c', '--idl', join(dir, 'notes.txt'), '-h', 'typescript', '-o', dir]);
    assert.equal(txt.status, 1);
    assert.match(txt.stderr, /unsupported source .*notes\.txt: expected a \.py file or package/);
    const empty = workDir('json-empty');
    assert.match(metaffi(['--idl', empty, '--print-idl']).stderr, /cannot tell what .*json-empty holds/);
  });

  it('renames names that are not TS identifiers, and refuses impossible ones', () => {
    assert.equal(toIdentifier('delete', 'function'), 'delete_');
    assert.equal(toIdentifier('2d-point', 'class'), '_2d_point');
    assert.equal(toIdentifier('my.name', 'function'), 'my_name');
    assert.equal(toIdentifier('héllo', 'function'), 'héllo');
    assert.throws(() => toIdentifier('+', 'function'), (e: unknown) =>
      e instanceof MetaFFIError && /function '\+' cannot become a TypeScript identifier/.test(e.message));
    const idl = validateIdl(goStyleIdl(), 'shop');
    idl.modules[0]!.functions.push({ ...idl.modules[0]!.functions[1]!, name: '<>' });
    assert.throws(() => generateTypeScriptHost(idl), /'<>' cannot become a TypeScript identifier/);
  });
});
