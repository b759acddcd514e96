import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { MetaFFIError } from '../errors.js';
import { baseTypeCode } from '../types.js';
import type { IdlArg, IdlClass, IdlDefinition, IdlField, IdlFunction, IdlModule } from './schema.js';

/** Read a MetaFFI IDL JSON file, check it and fill in what is optional. */
export function readIdlJson(source: string): IdlDefinition {
  const path = resolve(source);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MetaFFIError(`--idl: cannot read ${source}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new MetaFFIError(`--idl: ${source} is not valid JSON: ${(e as Error).message}`);
  }
  const idl = validateIdl(data, source);
  if (!idl.idl_full_path) idl.idl_full_path = path;
  if (!idl.idl_source) idl.idl_source = basename(path, extname(path));
  return idl;
}

type Json = Record<string, unknown>;

class Checker {
  constructor(readonly source: string) {}

  fail(where: string, what: string): never {
    throw new MetaFFIError(`${this.source}: ${where}: ${what} (not a MetaFFI IDL file?)`);
  }

  object(v: unknown, where: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(where, `expected an object, got ${describe(v)}`);
    return v as Json;
  }

  array(v: unknown, where: string, optional = true): unknown[] {
    if ((v === undefined || v === null) && optional) return [];
    if (!Array.isArray(v)) this.fail(where, `expected an array, got ${describe(v)}`);
    return v;
  }

  string(v: unknown, where: string, fallback?: string): string {
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'string') this.fail(where, `expected a string, got ${describe(v)}`);
    return v;
  }

  name(v: unknown, where: string): string {
    const s = this.string(v, where);
    if (s.trim() === '') this.fail(where, 'the name is empty');
    return s;
  }

  /** Tags and entity paths: string values; booleans and numbers are written as text. */
  strings(v: unknown, where: string): Record<string, string> {
    if (v === undefined || v === null) return {};
    const o = this.object(v, where);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(o)) {
      if (typeof x === 'string') out[k] = x;
      else if (typeof x === 'boolean' || typeof x === 'number') out[k] = String(x);
      else this.fail(`${where}.${k}`, `expected a string, got ${describe(x)}`);
    }
    return out;
  }

  arg(v: unknown, where: string): IdlArg {
    const o = this.object(v, where);
    const name = this.string(o.name, `${where}.name`, '');
    let type = this.string(o.type, `${where}.type`).trim().toLowerCase();
    const rawDims = o.dimensions === undefined || o.dimensions === null ? 0 : o.dimensions;
    if (typeof rawDims !== 'number' || !Number.isInteger(rawDims) || rawDims < 0) {
      this.fail(`${where}.dimensions`, `expected a whole number >= 0, got ${describe(rawDims)}`);
    }
    let dimensions: number = rawDims;
    if (type.endsWith('_packed_array')) {
      type = type.slice(0, -'_packed_array'.length);
      dimensions = Math.max(dimensions, 1);
    } else if (type.endsWith('_array')) {
      type = type.slice(0, -'_array'.length);
      dimensions = Math.max(dimensions, 1);
    }
    if (baseTypeCode(type) === undefined) {
      this.fail(`${where}.type`, `'${type}' is not a MetaFFI type (int64, float64, string8, bool, handle, any, callable, ...)`);
    }
    return {
      name,
      type,
      type_alias: this.string(o.type_alias, `${where}.type_alias`, ''),
      comment: this.string(o.comment, `${where}.comment`, ''),
      tags: this.strings(o.tags, `${where}.tags`),
      dimensions,
      is_optional: o.is_optional === true,
    };
  }

  func(v: unknown, where: string, needsPath: boolean): IdlFunction {
    const o = this.object(v, where);
    const name = this.name(o.name, `${where}.name`);
    const entityPath = this.strings(o.entity_path, `${where}.entity_path`);
    const at = `${where} (${name})`;
    if (needsPath && Object.keys(entityPath).filter((k) => k !== 'module' && k !== 'package').length === 0) {
      this.fail(`${at}.entity_path`, 'the entity path is empty');
    }
    const f: IdlFunction = {
      name,
      comment: this.string(o.comment, `${at}.comment`, ''),
      tags: this.strings(o.tags, `${at}.tags`),
      entity_path: entityPath,
      parameters: this.array(o.parameters, `${at}.parameters`).map((p, i) => this.arg(p, `${at}.parameters[${i}]`)),
      return_values: this.array(o.return_values, `${at}.return_values`).map((p, i) => this.arg(p, `${at}.return_values[${i}]`)),
      overload_index: typeof o.overload_index === 'number' ? o.overload_index : 0,
    };
    if (o.instance_required === true || entityPath.instance_required === 'true') f.instance_required = true;
    return f;
  }

  field(v: unknown, where: string): IdlField {
    const o = this.object(v, where);
    const arg = this.arg(o, where);
    if (arg.name === '') this.fail(`${where}.name`, 'the name is empty');
    const at = `${where} (${arg.name})`;
    const getter = o.getter === undefined || o.getter === null ? null : this.func(o.getter, `${at}.getter`, true);
    const setter = o.setter === undefined || o.setter === null ? null : this.func(o.setter, `${at}.setter`, true);
    return { ...arg, getter, setter };
  }

  cls(v: unknown, where: string): IdlClass {
    const o = this.object(v, where);
    const name = this.name(o.name, `${where}.name`);
    const at = `${where} (${name})`;
    return {
      name,
      comment: this.string(o.comment, `${at}.comment`, ''),
      tags: this.strings(o.tags, `${at}.tags`),
      entity_path: o.entity_path === undefined || o.entity_path === null ? null : this.strings(o.entity_path, `${at}.entity_path`),
      constructors: this.array(o.constructors, `${at}.constructors`).map((c, i) => this.func(c, `${at}.constructors[${i}]`, true)),
      // MetaFFI writes releasers with an empty entity path: handles are released by the host.
      release: o.release === undefined || o.release === null ? null : this.func(o.release, `${at}.release`, false),
      methods: this.array(o.methods, `${at}.methods`).map((m, i) => this.func(m, `${at}.methods[${i}]`, true)),
      fields: this.array(o.fields, `${at}.fields`).map((f, i) => this.field(f, `${at}.fields[${i}]`)),
    };
  }

  module(v: unknown, where: string): IdlModule {
    const o = this.object(v, where);
    const name = this.name(o.name, `${where}.name`);
    const at = `${where} (${name})`;
    return {
      name,
      comment: this.string(o.comment, `${at}.comment`, ''),
      tags: this.strings(o.tags, `${at}.tags`),
      functions: this.array(o.functions, `${at}.functions`).map((f, i) => this.func(f, `${at}.functions[${i}]`, true)),
      classes: this.array(o.classes, `${at}.classes`).map((c, i) => this.cls(c, `${at}.classes[${i}]`)),
      globals: this.array(o.globals, `${at}.globals`).map((g, i) => this.field(g, `${at}.globals[${i}]`)),
      external_resources: this.array(o.external_resources, `${at}.external_resources`)
        .map((r, i) => this.string(r, `${at}.external_resources[${i}]`)),
    };
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : typeof v;
}

/** Check that `data` is a MetaFFI IDL (as JSON.parse returns it) and normalize it. */
export function validateIdl(data: unknown, source = 'IDL'): IdlDefinition {
  const c = new Checker(source);
  const o = c.object(data, 'the top level');
  const target = c.string(o.target_language, 'target_language').trim();
  if (target === '') c.fail('target_language', 'empty; expected python3, openjdk or go');
  const modules = c.array(o.modules, 'modules', false).map((m, i) => c.module(m, `modules[${i}]`));
  if (modules.length === 0) c.fail('modules', 'no modules');
  return {
    idl_source: c.string(o.idl_source, 'idl_source', ''),
    idl_extension: c.string(o.idl_extension, 'idl_extension', ''),
    idl_filename_with_extension: c.string(o.idl_filename_with_extension, 'idl_filename_with_extension', ''),
    idl_full_path: c.string(o.idl_full_path, 'idl_full_path', ''),
    metaffi_guest_lib: c.string(o.metaffi_guest_lib, 'metaffi_guest_lib', ''),
    target_language: target,
    modules,
  };
}
