/** The generator: walks the IDL and writes the Python module text. */
import { MetaFFIError } from '../../errors.js';
import type { IdlArg, IdlDefinition, IdlField, IdlFunction } from '../../idl/schema.js';
import {
  aliasForRuntime, bareAlias, classesByAlias, entityPath, idlSourceName, isInstance, isInstanceAccessor, modulePathHint,
  paramRoles, simpleClassName, typeConstant,
} from '../stubs_common.js';
import { CLASS_MEMBERS_TAKEN, ENTITY_PREFIX, pyModuleName, PARAM_TAKEN, Scope, TOP_LEVEL_TAKEN, toPyIdentifier } from './naming.js';
import { compareSpecificity, scalarCheck, scalarHint, type ArgInfo, type Callable, type ClassInfo } from './types.js';

const MAX_LINE = 100;

/** A Python string literal. */
export function pyQuote(s: string): string {
  return `'${s.replace(/[\\']/g, (m) => '\\' + m).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
}

/** The text of a docstring body: backslashes and triple quotes cannot end or bend it. */
function docText(s: string): string {
  let t = s.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
  if (t.endsWith('"')) t = t.slice(0, -1) + '\\"';
  return t;
}

/** A default value as Python source, from the IDL's parsed `default` tag, when it is a literal. */
function pyDefault(arg: IdlArg, v: unknown): string | undefined {
  if (arg.dimensions > 0) return undefined; // a list default would be shared between calls
  const raw = (arg.tags.default ?? '').trim();
  switch (arg.type) {
    case 'int8': case 'int16': case 'int32': case 'int64': case 'uint8': case 'uint16': case 'uint32': case 'uint64':
    case 'size':
      return typeof v === 'number' && /^-?\d+$/.test(raw) ? raw : undefined;
    case 'float64': case 'float32':
      if (typeof v !== 'number') return undefined;
      return Number.isInteger(v) && !/[.eE]/.test(String(v)) ? `${String(v)}.0` : String(v);
    case 'bool': return typeof v === 'boolean' ? (v ? 'True' : 'False') : undefined;
    case 'string8': case 'string16': case 'string32': case 'char8': case 'char16': case 'char32':
      return typeof v === 'string' ? pyQuote(v) : undefined;
    case 'any':
      if (typeof v === 'string') return pyQuote(v);
      if (typeof v === 'boolean') return v ? 'True' : 'False';
      if (v === null) return 'None';
      return typeof v === 'number' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw) ? raw : undefined;
    case 'null': case 'handle': return v === null ? 'None' : undefined;
    default: return undefined;
  }
}

export class Generator {
  readonly idl: IdlDefinition;
  readonly runtime: string;
  readonly moduleName: string;
  readonly topScope = new Scope(TOP_LEVEL_TAKEN);
  readonly classes: ClassInfo[] = [];
  readonly byAlias: Map<string, ClassInfo>;
  readonly entities: { name: string; path: string; params: IdlArg[]; rets: IdlArg[]; retHint: string }[] = [];
  usesDescribe = false;

  constructor(idl: IdlDefinition) {
    this.idl = idl;
    this.runtime = idl.target_language;
    this.moduleName = pyModuleName(idl);
    for (const m of idl.modules) {
      for (const c of m.classes) this.classes.push({ idl: c, id: this.topScope.take(toPyIdentifier(simpleClassName(c), 'class')) });
    }
    this.byAlias = classesByAlias(this.classes.map((info) => ({ idl: info.idl, info })));
  }

  /** The generated class a handle (or a list of handles) names, if it is a class of this module. */
  classOf(arg: IdlArg): ClassInfo | undefined {
    return arg.type === 'handle' && arg.dimensions <= 1 ? this.byAlias.get(bareAlias(arg.type_alias)) : undefined;
  }

  argInfo(arg: IdlArg, id: string): ArgInfo {
    const info: ArgInfo = { arg, id, base: arg.type, dims: arg.dimensions, role: 'plain' };
    const cls = this.classOf(arg);
    if (cls) info.cls = cls;
    return info;
  }

  // ----- type hints

  /** The hint of a value; `raw` gives the hint of what the entity itself takes or returns
   * (handles where the stubs show wrapping classes). */
  hint(a: ArgInfo, input: boolean, raw = false): string {
    const cls = raw ? undefined : a.cls;
    if (a.dims === 0) {
      const t = cls ? cls.id : scalarHint(a.base);
      return a.base === 'handle' && a.arg.is_optional ? `${t} | None` : t;
    }
    if (a.dims === 1 && a.base === 'uint8') return input ? 'bytes | bytearray' : 'bytes';
    let t = a.dims === 1 && cls ? cls.id : scalarHint(a.base);
    for (let d = 0; d < a.dims; d++) t = `list[${t}]`;
    return t;
  }

  /** The hint of one element of an array parameter (Python *args). */
  elementHint(a: ArgInfo): string {
    if (a.dims === 0) return 'Any';
    return this.hint({ ...a, dims: a.dims - 1, arg: { ...a.arg, is_optional: false, dimensions: a.dims - 1 } }, true);
  }

  retHint(rets: ArgInfo[], raw = false): string {
    if (rets.length === 0) return 'None';
    if (rets.length === 1) return this.hint(rets[0]!, false, raw);
    return `tuple[${rets.map((r) => this.hint(r, false, raw)).join(', ')}]`;
  }

  /** The declared MetaFFI type for load_entity. */
  typeSpec(arg: IdlArg): string {
    const alias = aliasForRuntime(arg, this.runtime);
    const constant = `MetaFFITypes.${typeConstant(arg)}`;
    if (alias === undefined && arg.dimensions <= 1) return constant;
    return `metaffi_type_info(${constant}, ${alias !== undefined ? pyQuote(alias) : 'None'}${arg.dimensions > 1 ? `, ${arg.dimensions}` : ''})`;
  }

  // ----- entities and callables

  callable(fn: IdlFunction, keyWanted: string, instanceHint: boolean): Callable {
    const instance = instanceHint || isInstance(fn);
    if (instance && fn.parameters.length === 0) {
      throw new MetaFFIError(`${fn.name}: an instance entity needs the object as its first parameter`);
    }
    const path = entityPath(fn, instance);
    const entity = this.topScope.take(`${ENTITY_PREFIX}${keyWanted}`);
    const scope = new Scope([...PARAM_TAKEN, ...this.classes.map((k) => k.id)]);
    const visible = instance ? fn.parameters.slice(1) : fn.parameters;
    const params = visible.map((p) => {
      let id = toPyIdentifier(p.name || 'arg', 'parameter');
      if (id.startsWith('_')) id = `p${id}`; // entity globals and helpers start with `_`
      return this.argInfo(p, scope.take(id));
    });
    paramRoles(fn, visible, (arg, v) => pyDefault(arg, v)).forEach((r, i) => {
      params[i]!.role = r.role;
      if (r.def !== undefined) params[i]!.def = r.def;
    });
    const rets = fn.return_values.map((r) => this.argInfo(r, ''));
    this.entities.push({ name: entity, path, params: fn.parameters, rets: fn.return_values, retHint: this.retHint(rets, true) });
    return { fn, entity, params, rets, instance };
  }

  /** The Python parameter list of a callable (after self/cls); `sig` for overload signatures. */
  paramList(c: Callable, sig: boolean): string {
    const out: string[] = [];
    let positionalOnly = sig;
    for (const p of c.params) {
      switch (p.role) {
        case 'rest': case 'varargs':
          if (positionalOnly && out.length > 0) out.push('/');
          positionalOnly = false;
          out.push(`*${p.id}: ${this.elementHint(p)}`);
          break;
        case 'named':
          if (positionalOnly && out.length > 0) out.push('/');
          positionalOnly = false;
          out.push(`**${p.id}: Any`);
          break;
        case 'default': out.push(`${p.id}: ${this.hint(p, true)} = ${sig ? '...' : p.def!}`); break;
        default: out.push(`${p.id}: ${this.hint(p, true)}`);
      }
    }
    if (positionalOnly && c.params.length > 0) out.push('/');
    return out.join(', ');
  }

  /** An argument as passed to the entity. */
  argExpr(p: ArgInfo, expr: string): string {
    if (p.role === 'rest' || p.role === 'varargs') {
      return p.cls ? `[x.handle for x in ${expr}]` : `list(${expr})`;
    }
    if (!p.cls) return expr;
    if (p.dims === 0) return p.arg.is_optional ? `None if ${expr} is None else ${expr}.handle` : `${expr}.handle`;
    return `[x.handle for x in ${expr}]`;
  }

  /** Statements that call the entity and return its result, wrapped. */
  callBody(c: Callable, args: string[], selfExpr: string | null, ind: string): string[] {
    const all = [...(c.instance ? [selfExpr ?? 'self.handle'] : []), ...args];
    const call = `${c.entity}(${all.join(', ')})`;
    const rets = c.rets;
    if (rets.length === 0) return [`${ind}${call}`];
    if (rets.length === 1) {
      const r = rets[0]!;
      if (!r.cls) return [`${ind}return ${call}`];
      if (r.dims === 1) return [`${ind}return [${r.cls.id}.from_handle(h) for h in ${call}]`];
      if (r.arg.is_optional) return [`${ind}h = ${call}`, `${ind}return None if h is None else ${r.cls.id}.from_handle(h)`];
      return [`${ind}return ${r.cls.id}.from_handle(${call})`];
    }
    if (rets.every((r) => !r.cls)) return [`${ind}return ${call}`];
    const names = rets.map((_, i) => `r${i}`);
    const wrapped = rets.map((r, i) => {
      const v = names[i]!;
      if (!r.cls) return v;
      if (r.dims === 1) return `[${r.cls.id}.from_handle(h) for h in ${v}]`;
      return r.arg.is_optional ? `None if ${v} is None else ${r.cls.id}.from_handle(${v})` : `${r.cls.id}.from_handle(${v})`;
    });
    return [`${ind}${names.join(', ')} = ${call}`, `${ind}return ${wrapped.join(', ')}`];
  }

  doc(lines: string[], ind: string, comment: string, extra: string[] = []): void {
    const text = comment.replace(/\r\n?/g, '\n').trim();
    const body = [...(text ? text.split('\n').map((l) => l.trimEnd()) : []), ...extra];
    if (body.length === 0) return;
    if (body.length === 1) {
      lines.push(`${ind}"""${docText(body[0]!)}"""`);
      return;
    }
    lines.push(`${ind}"""${docText(body[0]!)}`);
    for (const l of body.slice(1)) lines.push(l === '' ? '' : `${ind}${docText(l)}`);
    lines.push(`${ind}"""`);
  }

  paramDocs(c: Callable): string[] {
    const documented = c.params.filter((p) => p.arg.comment.trim() !== '');
    if (documented.length === 0 || /@param\b|:param\b|\bArgs:/.test(c.fn.comment)) return [];
    return ['', 'Args:', ...documented.map((p) => `    ${p.id}: ${p.arg.comment.trim()}`)];
  }

  /** `head(params) -> ret:` wrapped one parameter a line when too long. */
  signature(ind: string, head: string, params: string[], tail: string): string[] {
    const one = `${ind}${head}(${params.join(', ')})${tail}`;
    if (one.length <= MAX_LINE || params.length === 0) return [one];
    return [`${ind}${head}(`, ...params.map((p) => `${ind}    ${p},`), `${ind})${tail}`];
  }

  // ----- overloads

  /**
   * One callable as a plain def, or an overload set: `@overload` signatures (positional
   * parameters) in the order they are tried, and one def that picks the first overload
   * whose parameter types the arguments fit, at run time.
   */
  emitCallables(lines: string[], ind: string, name: string, group: Callable[], kind: 'function' | 'method' | 'static' | 'ctor',
    displayName: string): void {
    const self = kind === 'method' || kind === 'ctor' ? ['self'] : [];
    const decorators = kind === 'static' ? [`${ind}@staticmethod`] : [];
    const ret = (c: Callable): string => (kind === 'ctor' ? 'None' : this.retHint(c.rets));
    const split = (c: Callable, sig: boolean): string[] => {
      const ps = this.paramList(c, sig);
      return [...self, ...(ps ? splitTop(ps) : [])];
    };
    if (group.length === 1) {
      const c = group[0]!;
      lines.push(...decorators);
      lines.push(...this.signature(ind, `def ${name}`, split(c, false), ` -> ${ret(c)}:`));
      const before = lines.length;
      this.doc(lines, ind + '    ', c.fn.comment, this.paramDocs(c));
      if (kind === 'ctor' && lines.length === before) this.doc(lines, ind + '    ', `Make a new ${displayName}.`);
      const args = c.params.map((p) => this.argExpr(p, p.id));
      lines.push(...(kind === 'ctor' ? this.ctorBody(c, args, ind + '    ') : this.callBody(c, args, null, ind + '    ')));
      return;
    }
    const ordered = [...group].sort((a, b) => compareSpecificity(a, b));
    // Overloads Python cannot tell apart by their hints share one signature (with the union
    // of their return types); the run-time dispatch still tells them apart by value range.
    const sigs = new Map<string, { rets: Set<string>; comment: string; c: Callable }>();
    for (const c of ordered) {
      // positional-only parameters: the types (and how each is passed) make the signature
      const key = c.params.map((p) => `${p.role}:${this.hint(p, true)}`).join(', ');
      const s = sigs.get(key) ?? { rets: new Set<string>(), comment: c.fn.comment, c };
      s.rets.add(ret(c));
      sigs.set(key, s);
    }
    const takesNamed = ordered.some((c) => c.params.some((p) => p.role === 'named'));
    const body = ind + '    ';
    // The names the dispatch reads the arguments from.
    let A = 'args';
    let N = 'named';
    if (sigs.size > 1) {
      let lastDoc = '';
      for (const s of sigs.values()) {
        lines.push(`${ind}@overload`, ...decorators);
        const r = [...s.rets].join(' | ');
        lines.push(...this.signature(ind, `def ${name}`, split(s.c, true), ` -> ${r}:`));
        const before = lines.length;
        // a comment shared by consecutive overloads is written once
        if (s.comment !== lastDoc) this.doc(lines, ind + '    ', s.comment, this.paramDocs(s.c));
        lastDoc = s.comment;
        if (lines.length === before) lines.push(`${ind}    ...`);
        lines.push('');
      }
      lines.push(...decorators);
      lines.push(`${ind}def ${name}(${[...self, '*args: Any', ...(takesNamed ? ['**named: Any'] : [])].join(', ')}) -> ${kind === 'ctor' ? 'None' : 'Any'}:`);
    } else {
      // Overloads that only the value range tells apart (Java int and long): one typed def.
      const [s] = [...sigs.values()];
      const c0 = s!.c;
      lines.push(...decorators);
      lines.push(...this.signature(ind, `def ${name}`, split(c0, false), ` -> ${[...s!.rets].join(' | ')}:`));
      this.doc(lines, body, s!.comment, this.paramDocs(c0));
      A = '_args';
      N = '_named';
      const positional = c0.params.filter((p) => p.role !== 'named').map((p) => (p.role === 'rest' || p.role === 'varargs' ? `*${p.id}` : p.id));
      lines.push(`${body}${A}: tuple[Any, ...] = (${positional.join(', ')}${positional.length === 1 ? ',' : ''})`);
      const named = c0.params.find((p) => p.role === 'named');
      if (named) lines.push(`${body}${N}: dict[str, Any] = ${named.id}`);
    }
    for (const c of ordered) {
      const hasNamed = c.params.some((p) => p.role === 'named');
      const positional = c.params.filter((p) => p.role !== 'named');
      const least = positional.filter((p) => p.role === 'plain').length;
      const hasRest = positional.some((p) => p.role === 'rest' || p.role === 'varargs');
      const most = positional.length;
      const checks: string[] = [least === most && !hasRest ? `len(${A}) == ${most}` : hasRest ? `len(${A}) >= ${least}` :
        `${least} <= len(${A}) <= ${most}`];
      if (takesNamed && !hasNamed) checks.push(`not ${N}`);
      const args: string[] = [];
      positional.forEach((p, i) => {
        const v = `${A}[${i}]`;
        if (p.role === 'rest' || p.role === 'varargs') {
          const each = this.elementCheck(p, 'x');
          if (each !== 'True') checks.push(`all(${each} for x in ${A}[${i}:])`);
          args.push(p.cls ? `[x.handle for x in ${A}[${i}:]]` : `list(${A}[${i}:])`);
          return;
        }
        const check = this.typeCheck(p, v);
        if (p.role === 'default') {
          if (check !== 'True') checks.push(`(len(${A}) <= ${i} or ${check})`);
          args.push(`${this.argExpr(p, v)} if len(${A}) > ${i} else ${p.def!}`);
        } else {
          if (check !== 'True') checks.push(check.includes(' or ') ? `(${check})` : check);
          args.push(this.argExpr(p, v));
        }
      });
      if (hasNamed) args.push(N);
      lines.push(...this.ifLine(body, checks));
      if (kind === 'ctor') lines.push(...this.ctorBody(c, args, body + '    '), `${body}    return`);
      else {
        lines.push(...this.callBody(c, args, null, body + '    '));
        if (c.rets.length === 0) lines.push(`${body}    return None`);
      }
    }
    this.usesDescribe = true;
    const shown = (p: ArgInfo): string => (p.role === 'named' ? '**named' : p.role === 'rest' || p.role === 'varargs' ?
      `*${this.elementHint(p)}` : this.hint(p, true));
    const forms = [...new Set(ordered.map((c) => `(${c.params.map(shown).join(', ')})`))];
    const expected = forms.length <= 8 ? forms.join(' or ') : `one of ${forms.length} forms, such as ${forms.slice(0, 4).join(' or ')}`;
    lines.push(`${body}raise TypeError(${pyQuote(`${displayName}: no overload takes (`)} + _describe_args(${A}) + ` +
      `${pyQuote(`); expected ${expected}`)})`);
  }

  /** `if a and b:`, wrapped in parentheses one check a line when too long. */
  ifLine(ind: string, checks: string[]): string[] {
    const one = `${ind}if ${checks.join(' and ')}:`;
    if (one.length <= MAX_LINE) return [one];
    return [`${ind}if (`, ...checks.map((c, i) => `${ind}    ${i > 0 ? 'and ' : ''}${c}`), `${ind}):`];
  }

  ctorBody(c: Callable, args: string[], ind: string): string[] {
    const first = c.rets[0];
    if (!first || first.base !== 'handle') {
      throw new MetaFFIError(`constructor ${c.fn.name}: must return the new object (a handle)`);
    }
    const call = `${c.entity}(${args.join(', ')})`;
    return [`${ind}self.handle = ${call}${c.rets.length > 1 ? '[0]' : ''}`];
  }

  /** A run-time test that a value fits a parameter's hint. */
  typeCheck(p: ArgInfo, v: string): string {
    if (p.dims === 0) {
      const check = scalarCheck(p.base, v, p.cls);
      return p.base === 'handle' && p.arg.is_optional ? `${v} is None or ${check}` : check;
    }
    if (p.dims === 1 && p.base === 'uint8') return `isinstance(${v}, (bytes, bytearray))`;
    return `isinstance(${v}, list)`;
  }

  elementCheck(p: ArgInfo, v: string): string {
    if (p.dims === 0) return 'True';
    if (p.dims > 1) return `isinstance(${v}, list)`;
    return scalarCheck(p.base, v, p.cls);
  }

  // ----- the module

  generate(command: string): string {
    const source = idlSourceName(this.idl);
    const body: string[] = [];

    // functions, grouped by name (overloads)
    const groups = new Map<string, Callable[]>();
    for (const m of this.idl.modules) {
      for (const f of m.functions) {
        const id = toPyIdentifier(f.name, 'function');
        const list = groups.get(id) ?? [];
        list.push(this.callable(f, `${id}${list.length ? `_${list.length + 1}` : ''}`, false));
        groups.set(id, list);
      }
    }
    const names = new Map<string, string>();
    for (const id of groups.keys()) names.set(id, this.topScope.take(id));
    for (const [id, group] of groups) {
      body.push('', '');
      this.emitCallables(body, '', names.get(id)!, group, 'function', names.get(id)!);
    }
    for (const m of this.idl.modules) for (const g of m.globals) this.emitGlobal(body, g);
    for (const info of this.classes) this.emitClass(body, info);

    const lines: string[] = [];
    const moduleDoc = this.idl.modules.map((m) => m.comment.trim()).filter((c) => c !== '').join('\n\n');
    this.doc(lines, '', '', [
      `${this.moduleName}_MetaFFIHost: typed Python functions and classes that call the ${this.runtime} module ${source}.`,
      '',
      `Generated by \`${command}\` from ${source}.`,
      'Do not edit: regenerate it when the module changes.',
      'Call bind_module_to_code(module_path) once before anything else of this module.',
      ...(moduleDoc ? ['', ...moduleDoc.split('\n')] : []),
    ]);
    lines.push('', 'from __future__ import annotations', '');
    const rest = body.join('\n');
    const typing = ['Any', 'Callable', 'NoReturn'];
    if (/@overload\b/.test(rest)) typing.push('overload');
    lines.push(`from typing import ${typing.join(', ')}`, '');
    const specs = this.entities.map((e) => [
      e.params.length ? `[${e.params.map((p) => this.typeSpec(p)).join(', ')}]` : 'None',
      e.rets.length ? `[${e.rets.map((p) => this.typeSpec(p)).join(', ')}]` : 'None',
    ]);
    const specText = specs.flat().join('\n');
    const used = `${rest}\n${specText}\n${this.entities.map((e) => e.retHint).join('\n')}`;
    const api = ['MetaFFIError', 'MetaFFIHandle', 'MetaFFIModule', 'MetaFFIRuntime', 'MetaFFITypes'].filter((n) =>
      n === 'MetaFFIError' || n === 'MetaFFIModule' || n === 'MetaFFIRuntime' || new RegExp(`\\b${n}\\b`).test(used));
    lines.push(`from metaffi import ${api.join(', ')}`);
    if (specText.includes('metaffi_type_info(')) lines.push('from metaffi.metaffi_types import metaffi_type_info');
    lines.push('');
    lines.push('#: The runtime the module runs in, unless bind_module_to_code is given another.');
    lines.push(`runtime_name = ${pyQuote(this.runtime)}`);
    lines.push('', '');
    lines.push('def _not_bound(*args: Any) -> NoReturn:');
    lines.push(`    raise MetaFFIError(${pyQuote(`${this.moduleName}_MetaFFIHost: call bind_module_to_code(module_path) before using it`)})`);
    lines.push('', '');
    lines.push('# The foreign entities, loaded once by bind_module_to_code.');
    lines.push('_runtime: MetaFFIRuntime | None = None');
    lines.push('_module: MetaFFIModule | None = None');
    for (const e of this.entities) lines.push(`${e.name}: Callable[..., ${e.retHint}] = _not_bound`);
    lines.push('', '');
    lines.push(`def bind_module_to_code(module_path: str, runtime_plugin: str = runtime_name) -> None:`);
    this.doc(lines, '    ', '', [
      `Load the ${this.runtime} runtime, the module at module_path and every entity of it, once.`,
      '',
      'Call it before anything else of this module; calling it again loads the module again.',
      '',
      'Args:',
      `    module_path: ${modulePathHint(this.runtime, this.moduleName, this.idl.metaffi_guest_lib)}`,
      `    runtime_plugin: the runtime to load it in (default '${this.runtime}')`,
    ]);
    const globals = ['_runtime', '_module', ...this.entities.map((e) => e.name)];
    const globalLines: string[] = [];
    let line = '    global';
    for (const g of globals) {
      const next = `${line}${line.endsWith('global') ? ' ' : ', '}${g}`;
      if (next.length > MAX_LINE) {
        globalLines.push(line);
        line = `    global ${g}`;
      } else {
        line = next;
      }
    }
    globalLines.push(line);
    lines.push(...globalLines);
    lines.push('    runtime = MetaFFIRuntime(runtime_plugin)');
    lines.push('    runtime.load_runtime_plugin()');
    lines.push('    module = runtime.load_module(module_path)');
    this.entities.forEach((e, i) => {
      const [ps, rs] = specs[i]!;
      const one = `    ${e.name} = module.load_entity(${pyQuote(e.path)}, ${ps}, ${rs})`;
      if (one.length <= MAX_LINE) lines.push(one);
      else lines.push(`    ${e.name} = module.load_entity(`, `        ${pyQuote(e.path)},`, `        ${ps},`, `        ${rs},`, '    )');
    });
    lines.push('    _runtime = runtime');
    lines.push('    _module = module');
    if (this.usesDescribe) {
      lines.push('', '');
      lines.push('def _describe_args(args: tuple[Any, ...]) -> str:');
      lines.push('    """The types of the arguments, for the error when no overload fits."""');
      lines.push("    return ', '.join(type(a).__name__ for a in args)");
    }
    lines.push(...body);
    return lines.join('\n') + '\n';
  }

  emitGlobal(lines: string[], g: IdlField): void {
    const id = toPyIdentifier(g.name, 'global');
    const a = this.argInfo(g, 'value');
    if (g.getter) {
      const name = this.topScope.take(`get_${id}`);
      const c = this.callable(g.getter, name, false);
      if (c.rets.length === 0) c.rets = [a];
      lines.push('', '');
      lines.push(`def ${name}() -> ${this.retHint(c.rets)}:`);
      this.doc(lines, '    ', g.comment || `The value of ${g.name}.`);
      lines.push(...this.callBody(c, [], null, '    '));
    }
    if (g.setter) {
      const name = this.topScope.take(`set_${id}`);
      const c = this.callable(g.setter, name, false);
      const p = { ...(c.params.at(-1) ?? a), id: 'value' };
      lines.push('', '');
      lines.push(`def ${name}(value: ${this.hint(p, true)}) -> None:`);
      this.doc(lines, '    ', `Set ${g.name}.${g.comment ? ' ' + g.comment : ''}`);
      lines.push(`    ${c.entity}(${this.argExpr(p, 'value')})`);
    }
  }

  emitClass(lines: string[], info: ClassInfo): void {
    const c = info.idl;
    const cls = info.id;
    const members = new Scope([...CLASS_MEMBERS_TAKEN, ...this.classes.map((k) => k.id)]);
    lines.push('', '');
    lines.push(`class ${cls}:`);
    this.doc(lines, '    ', c.comment || `A ${this.runtime} ${c.name} object.`);
    lines.push('');
    lines.push("    __slots__ = ('handle',)");
    lines.push('    handle: MetaFFIHandle');
    lines.push('');

    // constructors
    const ctors = c.constructors.map((k, i) => this.callable(k, `${cls}_new${c.constructors.length > 1 ? i + 1 : ''}`, false));
    if (ctors.length > 0) {
      this.emitCallables(lines, '    ', '__init__', ctors, 'ctor', cls);
    } else {
      lines.push('    def __init__(self, handle: MetaFFIHandle) -> None:');
      lines.push(`        """Wrap a ${cls} object; they come from the module's functions."""`);
      lines.push('        self.handle = handle');
    }
    lines.push('');
    lines.push('    @classmethod');
    lines.push(`    def from_handle(cls, handle: MetaFFIHandle) -> ${cls}:`);
    lines.push(`        """Wrap an existing ${this.runtime} object of this class."""`);
    lines.push('        self = cls.__new__(cls)');
    lines.push('        self.handle = handle');
    lines.push('        return self');

    // fields: properties on the object, get_/set_ static methods on the class
    for (const f of c.fields) {
      const a = this.argInfo(f, 'value');
      const instance = f.getter ? isInstanceAccessor(f.getter, 'getter') : f.setter ? isInstanceAccessor(f.setter, 'setter') : false;
      const id = toPyIdentifier(f.name, 'field');
      if (instance && f.getter) {
        const name = members.take(id);
        const k = this.callable(f.getter, `${cls}_${name}_get`, true);
        if (k.rets.length === 0) k.rets = [a];
        lines.push('');
        lines.push('    @property');
        lines.push(`    def ${name}(self) -> ${this.retHint(k.rets)}:`);
        this.doc(lines, '        ', f.comment);
        lines.push(...this.callBody(k, [], 'self.handle', '        '));
        if (f.setter) {
          const s = this.callable(f.setter, `${cls}_${name}_set`, true);
          const p = { ...(s.params.at(-1) ?? a), id: 'value' };
          lines.push('');
          lines.push(`    @${name}.setter`);
          lines.push(`    def ${name}(self, value: ${this.hint(a, true)}) -> None:`);
          lines.push(`        ${s.entity}(self.handle, ${this.argExpr(p, 'value')})`);
        }
        continue;
      }
      if (f.getter) {
        const name = members.take(`get_${id}`);
        const k = this.callable(f.getter, `${cls}_${name}`, false);
        if (k.rets.length === 0) k.rets = [a];
        lines.push('');
        lines.push('    @staticmethod');
        lines.push(`    def ${name}() -> ${this.retHint(k.rets)}:`);
        this.doc(lines, '        ', f.comment || `The value of ${c.name}.${f.name}.`);
        lines.push(...this.callBody(k, [], null, '        '));
      }
      if (f.setter) {
        const name = members.take(`set_${id}`);
        const s = this.callable(f.setter, `${cls}_${name}`, instance);
        const p = { ...(s.params.at(-1) ?? a), id: 'value' };
        lines.push('');
        if (!instance) lines.push('    @staticmethod');
        lines.push(`    def ${name}(${instance ? 'self, ' : ''}value: ${this.hint(p, true)}) -> None:`);
        this.doc(lines, '        ', `Set ${f.name}.${f.comment ? ' ' + f.comment : ''}`);
        lines.push(`        ${s.entity}(${instance ? 'self.handle, ' : ''}${this.argExpr(p, 'value')})`);
      }
    }

    // methods, grouped by name for overloads (one namespace: static and instance together)
    const groups = new Map<string, Callable[]>();
    const instanceOf = new Map<string, boolean>();
    for (const m of c.methods) {
      const instance = isInstance(m);
      const id = toPyIdentifier(m.name, 'method');
      const key = `${instance ? 'i' : 's'}:${id}`;
      const list = groups.get(key) ?? [];
      list.push(this.callable(m, `${cls}_${id}${list.length ? `_${list.length + 1}` : ''}`, false));
      groups.set(key, list);
      instanceOf.set(key, instance);
    }
    for (const [key, group] of groups) {
      const instance = instanceOf.get(key)!;
      const name = members.take(key.slice(2));
      lines.push('');
      this.emitCallables(lines, '    ', name, group, instance ? 'method' : 'static', `${cls}.${name}`);
    }

    lines.push('');
    lines.push('    def release(self) -> None:');
    lines.push(`        """Release the ${this.runtime} object now instead of when this wrapper is garbage-collected."""`);
    lines.push('        self.handle.release()');
    lines.push('');
    lines.push(`    def __enter__(self) -> ${cls}:`);
    lines.push('        return self');
    lines.push('');
    lines.push('    def __exit__(self, *exc: object) -> None:');
    lines.push('        self.handle.release()');
  }
}

/** Split a parameter list at its top-level commas. */
function splitTop(params: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < params.length; i++) {
    const ch = params[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === "'" || ch === '"') {
      for (i++; i < params.length && params[i] !== ch; i++) if (params[i] === '\\') i++;
    } else if (ch === ',' && depth === 0) {
      out.push(params.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(params.slice(start).trim());
  return out.filter((p) => p !== '');
}
