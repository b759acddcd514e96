/** The generator: walks the IDL and writes the module text. */
import { MetaFFIError } from '../../errors.js';
import type { IdlArg, IdlDefinition, IdlField, IdlFunction } from '../../idl/schema.js';
import { aliasForRuntime, bareAlias, classesByAlias, entityPath, idlSourceName, isInstance, isInstanceAccessor, modulePathHint,
  paramRoles, simpleClassName, typeConstant } from '../stubs_common.js';
import { ASYNC_CONSTRUCTOR, asyncName, CLASS_MEMBERS_TAKEN, hostModuleName, Scope, STATIC_TAKEN, TOP_LEVEL_TAKEN, toIdentifier,
  upperFirst } from './naming.js';
import { INT_RANGE, TYPED_ARRAY, type ArgInfo, type Callable, type ClassInfo, type EntityRef } from './types.js';
import { Later, MAX_LINE, compareSpecificity, defaultValue, escapeTemplate, quote, wrapSignature } from './text.js';


export class Generator {
  readonly idl: IdlDefinition;
  readonly runtime: string;
  readonly out: string[] = [];
  readonly entities: EntityRef[] = [];
  readonly entityScope = new Scope(['__proto__']);
  readonly topScope = new Scope(TOP_LEVEL_TAKEN);
  readonly classes: ClassInfo[] = [];
  readonly byAlias: Map<string, ClassInfo>;
  readonly moduleName: string;
  usesTypeError = false;

  constructor(idl: IdlDefinition) {
    this.idl = idl;
    this.runtime = idl.target_language;
    this.moduleName = hostModuleName(idl);
    for (const m of idl.modules) {
      for (const c of m.classes) {
        this.classes.push({ idl: c, id: this.topScope.take(toIdentifier(simpleClassName(c), 'class')) });
      }
    }
    this.byAlias = classesByAlias(this.classes.map((info) => ({ idl: info.idl, info })));
  }

  /** The generated class a handle's foreign type names, if it is a class of this module. */
  classOf(arg: IdlArg): ClassInfo | undefined {
    return arg.type === 'handle' ? this.byAlias.get(bareAlias(arg.type_alias)) : undefined;
  }

  argInfo(arg: IdlArg, scope: Scope | null, what: string): ArgInfo {
    const id = scope ? scope.take(toIdentifier(arg.name || 'arg', what)) : '';
    const info: ArgInfo = { arg, id, base: arg.type, dims: arg.dimensions };
    const cls = this.classOf(arg);
    if (cls) info.cls = cls;
    return info;
  }

  // ----- types as TS text

  tsType(a: ArgInfo, input: boolean): string {
    const d = a.dims;
    const t = this.tsBase(a, input);
    if (d === 0) return a.arg.is_optional && a.cls ? `${t} | null` : t;
    const needsParens = t.includes('|') || t.includes('=>');
    let arr = (needsParens ? `(${t})` : t) + '[]'.repeat(d);
    if (input) {
      arr = `readonly ${arr}`;
      const typed = TYPED_ARRAY[a.base];
      if (d === 1 && typed) arr = `${arr} | ${typed}`;
    }
    return arr;
  }

  tsBase(a: ArgInfo, input: boolean): string {
    switch (a.base) {
      case 'float64': case 'float32': case 'int8': case 'int16': case 'int32':
      case 'uint8': case 'uint16': case 'uint32':
        return 'number';
      case 'int64': case 'uint64': case 'size':
        return 'number | bigint';
      case 'bool': return 'boolean';
      case 'string8': case 'string16': case 'string32':
      case 'char8': case 'char16': case 'char32':
        return 'string';
      case 'handle': return a.cls ? a.cls.id : 'MetaFFIHandle';
      case 'callable': return '(...args: any[]) => any';
      case 'null': return 'null';
      case 'any': return input ? 'unknown' : 'any';
      default:
        throw new MetaFFIError(`MetaFFI type '${a.base}' has no TypeScript mapping`);
    }
  }

  /** The declared MetaFFI type for loadEntity. */
  typeSpec(a: ArgInfo): string {
    const alias = aliasForRuntime(a.arg, this.runtime);
    const constant = `T.${typeConstant(a.arg)}`;
    if (alias === undefined && a.dims <= 1) return constant;
    return `new MetaFFITypeInfo(${constant}, ${alias !== undefined ? quote(alias) : 'undefined'}${a.dims > 1 ? `, ${a.dims}` : ''})`;
  }

  // ----- entities

  entity(fn: IdlFunction, keyWanted: string, instance: boolean): EntityRef {
    const path = entityPath(fn, instance);
    const params = fn.parameters.map((p) => this.argInfo(p, null, 'parameter'));
    const rets = fn.return_values.map((p) => this.argInfo(p, null, 'return value'));
    const ref: EntityRef = { key: this.entityScope.take(keyWanted), path, params, rets };
    this.entities.push(ref);
    return ref;
  }

  callable(fn: IdlFunction, key: string, instanceHint: boolean): Callable {
    const instance = instanceHint || isInstance(fn);
    const entity = this.entity(fn, key, instance);
    // Names the bodies use must not be shadowed by parameters.
    const scope = new Scope([...TOP_LEVEL_TAKEN, ...this.classes.map((k) => k.id), 'r0', 'r1', 'r2', 'r3',
      'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
    const visible = instance ? fn.parameters.slice(1) : fn.parameters;
    if (instance && fn.parameters.length === 0) {
      throw new MetaFFIError(`${fn.name}: an instance entity needs the object as its first parameter`);
    }
    const params = visible.map((p) => this.argInfo(p, scope, 'parameter'));
    const rets = fn.return_values.map((p) => this.argInfo(p, null, 'return value'));
    const varargs = fn.entity_path.varargs === 'true';
    const namedArgs = fn.entity_path.named_args === 'true';
    paramRoles(fn, visible, (_arg, v, i) => defaultValue(params[i]!, v)).forEach((r, i) => {
      const p = params[i]!;
      p.role = r.role;
      if (r.def !== undefined) p.def = r.def;
    });
    return { fn, entity, params, rets, instance, varargs, namedArgs };
  }

  // ----- pieces of code

  /** The TS parameter list of a callable. */
  paramList(c: Callable, signatureOnly = false): string {
    return c.params.map((p) => {
      const element: ArgInfo = { ...p, dims: Math.max(p.dims - 1, 0) };
      const elementType = p.dims > 0 ? this.tsType(element, true) : 'unknown';
      const many = /[|=]/.test(elementType) ? `(${elementType})[]` : `${elementType}[]`;
      switch (p.role) {
        case 'rest': return `...${p.id}: ${many}`;
        case 'varargs': return signatureOnly ? `${p.id}?: readonly ${many}` : `${p.id}: readonly ${many} = []`;
        case 'named': return `${p.id}?: Record<string, unknown>`;
        case 'default':
          return signatureOnly ? `${p.id}?: ${this.tsType(p, true)}` : `${p.id}: ${this.tsType(p, true)} = ${p.def!}`;
        default: return `${p.id}: ${this.tsType(p, true)}`;
      }
    }).join(', ');
  }

  /** An argument as passed to the entity. */
  argExpr(p: ArgInfo, expr: string): string {
    if (p.role === 'named') return `${expr.includes(' as ') ? `(${expr})` : expr} ?? null`;
    if (!p.cls) return expr;
    if (expr.includes(' as ')) expr = `(${expr})`;
    if (p.dims === 0) return p.arg.is_optional ? `${expr}?.handle ?? null` : `${expr}.handle`;
    if (p.dims === 1) return `${expr}.map((x) => x.handle)`;
    return expr;
  }

  /** Statements that call the entity and return its result, converted. */
  callBody(c: Callable, selfExpr: string | null, ind: string): string[] {
    const args: string[] = [];
    if (c.instance) args.push(selfExpr ?? 'this.handle');
    c.params.forEach((p) => args.push(this.argExpr(p, p.id)));
    const call = `entities.${c.entity.key}(${args.join(', ')})`;
    return this.returnLines(c.rets, call, ind);
  }

  returnLines(rets: ArgInfo[], call: string, ind: string): string[] {
    if (rets.length === 0) return [`${ind}${call};`];
    if (rets.length === 1) return [`${ind}return ${this.wrapResult(rets[0]!, call)};`];
    if (rets.every((r) => !r.cls)) return [`${ind}return ${call} as [${rets.map((r) => this.tsType(r, false)).join(', ')}];`];
    const raw = rets.map((r) => (r.cls ? (r.dims === 0 ? 'MetaFFIHandle' : 'MetaFFIHandle' + '[]'.repeat(r.dims)) : this.tsType(r, false)));
    const names = rets.map((_, i) => `r${i}`);
    return [
      `${ind}const [${names.join(', ')}] = ${call} as [${raw.join(', ')}];`,
      `${ind}return [${rets.map((r, i) => this.wrapValue(r, names[i]!)).join(', ')}];`,
    ];
  }

  /** The async form of callBody: returns the promise of `entities.<key>.async(...)`, its result
   * wrapped as callBody wraps it. */
  asyncCallBody(c: Callable, selfExpr: string | null, ind: string): string[] {
    const args: string[] = [];
    if (c.instance) args.push(selfExpr ?? 'this.handle');
    c.params.forEach((p) => args.push(this.argExpr(p, p.id)));
    return this.asyncReturnLines(c.rets, `entities.${c.entity.key}.async(${args.join(', ')})`, ind);
  }

  asyncReturnLines(rets: ArgInfo[], call: string, ind: string): string[] {
    // No return values (the promise resolves with undefined, as the sync call returns it), or one `any`: no cast.
    if (rets.length === 0 || (rets.length === 1 && !rets[0]!.cls && rets[0]!.base === 'any' && rets[0]!.dims === 0)) {
      return [`${ind}return ${call};`];
    }
    if (rets.every((r) => !r.cls)) return [`${ind}return ${call} as Promise<${this.retType(rets)}>;`];
    if (rets.length === 1) return [`${ind}return ${call}.then((r) => ${this.wrapResult(rets[0]!, 'r')});`];
    return [`${ind}return ${call}.then((r) => {`, ...this.returnLines(rets, 'r', ind + '  '), `${ind}});`];
  }

  wrapResult(r: ArgInfo, call: string): string {
    if (!r.cls) return r.base === 'any' && r.dims === 0 ? call : `${call} as ${this.tsType(r, false)}`;
    if (r.dims === 0) {
      if (r.arg.is_optional) return `${r.cls.id}.fromNullable(${call} as MetaFFIHandle | null)`;
      return `${r.cls.id}.fromHandle(${call} as MetaFFIHandle)`;
    }
    if (r.dims === 1) return `(${call} as MetaFFIHandle[]).map((h) => ${r.cls.id}.fromHandle(h))`;
    return `${call} as ${this.tsType(r, false)}`;
  }

  wrapValue(r: ArgInfo, v: string): string {
    if (!r.cls) return v;
    if (r.dims === 0) return r.arg.is_optional ? `${r.cls.id}.fromNullable(${v})` : `${r.cls.id}.fromHandle(${v})`;
    if (r.dims === 1) return `${v}.map((h) => ${r.cls.id}.fromHandle(h))`;
    return v;
  }

  retType(rets: ArgInfo[]): string {
    if (rets.length === 0) return 'void';
    if (rets.length === 1) return this.tsType(rets[0]!, false);
    return `[${rets.map((r) => this.tsType(r, false)).join(', ')}]`;
  }

  doc(lines: string[], ind: string, comment: string, extra: string[] = []): void {
    const text = comment.replace(/\r\n?/g, '\n').trim();
    const body = [...(text ? text.split('\n') : []), ...extra].map((l) => l.replace(/\*\//g, '*\\/').trimEnd());
    if (body.length === 0) return;
    if (body.length === 1) {
      lines.push(`${ind}/** ${body[0]} */`);
      return;
    }
    lines.push(`${ind}/**`);
    for (const l of body) lines.push(l === '' ? `${ind} *` : `${ind} * ${l}`);
    lines.push(`${ind} */`);
  }

  paramDocs(c: Callable): string[] {
    if (/@param\b/.test(c.fn.comment)) return [];
    return c.params.filter((p) => p.arg.comment.trim() !== '').map((p) => `@param ${p.id} ${p.arg.comment.trim()}`);
  }

  // ----- overloads

  /** Emit one callable or an overload set (TS overload signatures and a dispatching body).
   * With `asyncForm`, the async form of the callable whose name is `syncName`: `head` heads the
   * overload signatures, `asyncForm.head` (with `async`) the implementation, each returns a
   * Promise, and the body calls `.async`. */
  emitCallables(lines: string[], ind: string, head: string, group: Callable[], selfExpr: string | null,
    kind: 'function' | 'method' | 'ctor', displayName: string, asyncForm?: { head: string; syncName: string }): void {
    const isAsync = asyncForm !== undefined;
    const implHead = asyncForm?.head ?? head;
    const retText = (t: string): string => (isAsync ? `Promise<${t}>` : t);
    // a constructor's displayName is its class (`Calc`, or `Calc.newAsync` for the async form)
    const ctorType = kind === 'ctor' ? displayName.split('.')[0]! : '';
    const sigRet = (c: Callable): string => (kind === 'ctor' ? (isAsync ? `: Promise<${ctorType}>` : '') : `: ${retText(this.retType(c.rets))}`);
    const body = (c: Callable, bodyInd: string): string[] => {
      if (kind === 'ctor') return isAsync ? this.asyncCtorBody(c, ctorType, bodyInd) : this.ctorBody(c, bodyInd);
      return isAsync ? this.asyncCallBody(c, selfExpr, bodyInd) : this.callBody(c, selfExpr, bodyInd);
    };
    const asyncDoc = `Async form of \`${asyncForm?.syncName ?? ''}(...)\`: the call runs on a pool thread.`;
    if (group.length === 1) {
      const c = group[0]!;
      if (isAsync) this.doc(lines, ind, asyncDoc);
      else this.doc(lines, ind, c.fn.comment, this.paramDocs(c));
      lines.push(...wrapSignature(ind, implHead, this.paramList(c), `${sigRet(c)} {`));
      lines.push(...body(c, ind + '  '));
      lines.push(`${ind}}`);
      return;
    }
    // Overloads: most specific first; the first whose parameter types the arguments fit wins.
    const ordered = [...group].sort((a, b) => compareSpecificity(a, b));
    const seen = new Set<string>();
    let lastDoc = '';
    if (isAsync) this.doc(lines, ind, asyncDoc);
    for (const c of ordered) {
      const sig = `${head}(${this.paramList(c, true)})${sigRet(c)};`;
      if (seen.has(sig)) continue;
      seen.add(sig);
      if (!isAsync && c.fn.comment !== lastDoc) this.doc(lines, ind, c.fn.comment, this.paramDocs(c));
      lastDoc = c.fn.comment;
      lines.push(...wrapSignature(ind, head, this.paramList(c, true), `${sigRet(c)};`));
    }
    const retUnion = kind === 'ctor' ? (isAsync ? `: Promise<${ctorType}>` : '') :
      `: ${retText([...new Set(ordered.map((c) => this.retType(c.rets)))].join(' | '))}`;
    lines.push(`${ind}${implHead}(...args: unknown[])${retUnion} {`);
    for (const c of ordered) {
      // Plain parameters come first; defaults, arrays of extra arguments and named ones follow.
      const n = c.params.length;
      const least = c.params.filter((p) => p.role === 'plain').length;
      const hasRest = c.params.some((p) => p.role === 'rest');
      const length = least === n ? `args.length === ${n}` : hasRest ? `args.length >= ${least}` :
        `args.length >= ${least} && args.length <= ${n}`;
      const checks = [length, ...c.params.map((p, i) => this.overloadCheck(p, `args[${i}]`)).filter((x) => x !== 'true')];
      lines.push(`${ind}  if (${checks.join(' && ')}) {`);
      const casted: Callable = { ...c, params: c.params.map((p, i) => ({ ...p, id: this.overloadArg(p, i) })) };
      lines.push(...body(casted, ind + '    '));
      if (!isAsync && kind === 'ctor') lines.push(`${ind}    return;`);
      if (!isAsync && kind !== 'ctor' && c.rets.length === 0) lines.push(`${ind}    return;`);
      lines.push(`${ind}  }`);
    }
    this.usesTypeError = true;
    const shownType = (p: ArgInfo): string => (p.role === 'named' ? 'named arguments' : p.role === 'rest' ? '...' : this.tsType(p, true));
    const forms = [...new Set(ordered.map((c) => `(${c.params.map(shownType).join(', ')})`))];
    const expected = forms.length <= 8 ? forms.join(' or ') : `one of ${forms.length} forms, such as ${forms.slice(0, 4).join(' or ')}`;
    const shown = kind === 'ctor' && !isAsync ? `new ${displayName}` : displayName;
    lines.push(`${ind}  throw new TypeError(\`${escapeTemplate(shown)}: no overload takes (\${describeArgs(args)}); ` +
      `expected ${escapeTemplate(expected)}\`);`);
    lines.push(`${ind}}`);
  }

  ctorBody(c: Callable, ind: string): string[] {
    const args = c.params.map((p) => this.argExpr(p, p.id));
    const call = `entities.${c.entity.key}(${args.join(', ')})`;
    const first = c.rets[0];
    if (!first || first.base !== 'handle') {
      throw new MetaFFIError(`constructor ${c.fn.name}: must return the new object (a handle)`);
    }
    if (c.rets.length === 1) return [`${ind}this.handle = ${call} as MetaFFIHandle;`];
    return [`${ind}this.handle = (${call} as unknown[])[0] as MetaFFIHandle;`];
  }

  /** The async form of ctorBody: the promise of the new object, wrapped in its class. */
  asyncCtorBody(c: Callable, cls: string, ind: string): string[] {
    this.ctorBody(c, ind); // the same checks
    const args = c.params.map((p) => this.argExpr(p, p.id));
    const call = `entities.${c.entity.key}.async(${args.join(', ')})`;
    const handle = c.rets.length === 1 ? 'r as MetaFFIHandle' : '(r as unknown[])[0] as MetaFFIHandle';
    return [`${ind}return ${call}.then((r) => ${cls}.fromHandle(${handle}));`];
  }

  /** The runtime test of an overload's parameter, by how it is passed. */
  overloadCheck(p: ArgInfo, v: string): string {
    switch (p.role) {
      case 'rest': return 'true';
      case 'varargs': return `(${v} === undefined || Array.isArray(${v}))`;
      case 'named': return `(${v} === undefined || ${v} === null || (typeof ${v} === 'object' && !Array.isArray(${v})))`;
      case 'default': {
        const check = this.typeCheck(p, v);
        return check === 'true' ? 'true' : `(${v} === undefined || ${check})`;
      }
      default: return this.typeCheck(p, v);
    }
  }

  /** An overload's argument taken from `args`, with its default when it was left out. */
  overloadArg(p: ArgInfo, i: number): string {
    const t = this.tsType(p, true);
    switch (p.role) {
      case 'rest': {
        const element = p.dims > 0 ? this.tsType({ ...p, dims: p.dims - 1 }, true) : 'unknown';
        return `args.slice(${i}) as ${/[|=]/.test(element) ? `(${element})` : element}[]`;
      }
      case 'varargs': return `(args[${i}] as ${t} | undefined) ?? []`;
      case 'named': return `args[${i}] as Record<string, unknown> | undefined`;
      case 'default': return `(args[${i}] === undefined ? ${p.def!} : args[${i}] as ${t})`;
      default: return `args[${i}] as ${t}`;
    }
  }

  /** A runtime test that a value fits a parameter's TS type. */
  typeCheck(p: ArgInfo, v: string): string {
    if (p.dims > 0) {
      const typed = TYPED_ARRAY[p.base];
      return p.dims === 1 && typed ? `(Array.isArray(${v}) || ${v} instanceof ${typed})` : `Array.isArray(${v})`;
    }
    switch (p.base) {
      case 'float64': case 'float32': return `typeof ${v} === 'number'`;
      case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32': {
        const [lo, hi] = INT_RANGE[p.base]!;
        return `Number.isInteger(${v}) && (${v} as number) >= ${lo} && (${v} as number) <= ${hi}`;
      }
      case 'int64': case 'uint64': case 'size': return `(typeof ${v} === 'bigint' || Number.isInteger(${v}))`;
      case 'bool': return `typeof ${v} === 'boolean'`;
      case 'string8': case 'string16': case 'string32': return `typeof ${v} === 'string'`;
      case 'char8': case 'char16': case 'char32': return `typeof ${v} === 'string' && (${v} as string).length >= 1`;
      case 'handle': return p.cls ? `${v} instanceof ${p.cls.id}` : `${v} instanceof MetaFFIHandle`;
      case 'callable': return `typeof ${v} === 'function'`;
      case 'null': return `${v} === null`;
      default: return 'true';
    }
  }

  // ----- the module

  generate(command: string | undefined): string {
    const lines = this.out;
    lines.push(`// Generated by metaffi${command ? ` (${command})` : ''} from ${idlSourceName(this.idl)}`);
    lines.push(`// (${this.runtime} module). Do not edit: regenerate it when the module changes.`);
    const moduleDoc = this.idl.modules.map((m) => m.comment.trim()).filter((c) => c !== '').join('\n\n');
    const body: string[] = [];

    // functions
    const functionGroups = new Map<string, Callable[]>();
    for (const m of this.idl.modules) {
      for (const f of m.functions) {
        const id = toIdentifier(f.name, 'function');
        const c = this.callable(f, id, false);
        const list = functionGroups.get(id) ?? [];
        list.push(c);
        functionGroups.set(id, list);
      }
    }
    const functionNames = new Map<string, string>();
    for (const id of functionGroups.keys()) functionNames.set(id, this.topScope.take(id));

    // globals
    const globalLines: string[] = [];
    const later = new Later();
    for (const m of this.idl.modules) for (const g of m.globals) this.emitGlobal(globalLines, g, later);

    // classes
    const classLines: string[] = [];
    for (const info of this.classes) this.emitClass(classLines, info);

    for (const [id, group] of functionGroups) {
      const name = functionNames.get(id)!;
      body.push('');
      this.emitCallables(body, '', `export function ${name}`, group, null, 'function', name);
      later.add(body, () => {
        const lines = [''];
        const asyncId = this.topScope.take(asyncName(name));
        this.emitCallables(lines, '', `export function ${asyncId}`, group, null, 'function', asyncId,
          { head: `export async function ${asyncId}`, syncName: name });
        return lines;
      });
    }
    // the async forms, named once every sync name is taken
    later.fill();

    // the entity table and bindModuleToCode (written first: they decide the imports)
    const bind: string[] = [];
    bind.push('');
    bind.push('const notBound: MetaFFICallable = Object.assign((): never => {');
    bind.push(`  throw new MetaFFIError(${quote(`${this.moduleName}_MetaFFIHost: call bindModuleToCode(modulePath) before using it`)});`);
    bind.push('}, { async: (): Promise<never> => Promise.reject(');
    bind.push(`  new MetaFFIError(${quote(`${this.moduleName}_MetaFFIHost: call bindModuleToCode(modulePath) before using it`)})) });`);
    bind.push('');
    bind.push('/** The foreign entities, loaded once by bindModuleToCode. */');
    bind.push('const entities = {');
    for (const e of this.entities) bind.push(`  ${e.key}: notBound,`);
    bind.push('};');
    bind.push('');
    bind.push('/**');
    bind.push(` * Load the ${this.runtime} runtime, the module at \`modulePath\` and every entity of it, once.`);
    bind.push(' * Call it before anything else of this file; calling it again loads the module again.');
    bind.push(` * @param modulePath the module: ${modulePathHint(this.runtime, this.moduleName, this.idl.metaffi_guest_lib)}`);
    bind.push(` * @param runtimePlugin the runtime to load it in (default \`${this.runtime}\`)`);
    bind.push(' * @returns the loaded module, for entities this file does not cover');
    bind.push(' */');
    bind.push('export function bindModuleToCode(modulePath: string, runtimePlugin: string = runtimeName): MetaFFIModule {');
    bind.push('  const module = new MetaFFIRuntime(runtimePlugin).loadModule(modulePath);');
    for (const e of this.entities) {
      const ps = e.params.length ? `[${e.params.map((p) => this.typeSpec(p)).join(', ')}]` : 'null';
      const rs = e.rets.length ? `[${e.rets.map((p) => this.typeSpec(p)).join(', ')}]` : 'null';
      const line = `  entities.${e.key} = module.loadEntity(${quote(e.path)}, ${ps}, ${rs});`;
      if (line.length <= MAX_LINE) bind.push(line);
      else bind.push(`  entities.${e.key} = module.loadEntity(${quote(e.path)},`, `    ${ps},`, `    ${rs});`);
    }
    bind.push('  return module;');
    bind.push('}');
    if (this.usesTypeError) {
      bind.push('');
      bind.push('/** The runtime types of arguments, for the error when no overload fits. */');
      bind.push('function describeArgs(args: readonly unknown[]): string {');
      bind.push("  return args.map((a) => (a === null ? 'null' : Array.isArray(a) ? 'array' : " +
        "typeof a === 'object' ? (a as object).constructor?.name ?? 'object' : typeof a)).join(', ');");
      bind.push('}');
    }

    if (moduleDoc) {
      lines.push('');
      this.doc(lines, '', moduleDoc);
    }
    // Import what the code uses (tsc --noUnusedLocals stays quiet).
    const rest = [...bind, ...body, ...globalLines, ...classLines].join('\n');
    const imports = ['MetaFFIError'];
    if (/\bMetaFFIHandle\b/.test(rest)) imports.push('MetaFFIHandle');
    imports.push('MetaFFIRuntime');
    if (/\bMetaFFITypeInfo\b/.test(rest)) imports.push('MetaFFITypeInfo');
    if (/\bT\.metaffi_/.test(rest)) imports.push('MetaFFITypes as T');
    imports.push('type MetaFFICallable', 'type MetaFFIModule');
    lines.push(`import { ${imports.join(', ')} } from 'metaffi';`);
    lines.push('');
    lines.push(`/** The runtime the module runs in, unless bindModuleToCode is given another. */`);
    lines.push(`export const runtimeName = ${quote(this.runtime)};`);
    if (rest.includes('[Symbol.dispose]')) {
      // Symbol.dispose exists at run time from Node.js 20 on, but TypeScript declares it only
      // in the esnext.disposable lib (and @types/node): declared here too, the stubs
      // type-check with the default lib of --target es2022, with or without @types/node.
      lines.push('');
      lines.push('declare global {');
      lines.push('  interface SymbolConstructor {');
      lines.push('    readonly dispose: unique symbol;');
      lines.push('  }');
      lines.push('}');
    }
    lines.push(...bind);
    lines.push(...body, ...globalLines, ...classLines);
    return lines.join('\n') + '\n';
  }

  emitGlobal(lines: string[], g: IdlField, later: Later): void {
    const id = toIdentifier(g.name, 'global', true);
    const a = this.argInfo(g, null, 'global');
    if (g.getter) {
      const name = this.topScope.take(`get${upperFirst(id)}`);
      const c = this.callable(g.getter, name, false);
      c.rets = c.rets.length ? c.rets : [a];
      lines.push('');
      this.doc(lines, '', g.comment || `The value of ${g.name}.`);
      lines.push(`export function ${name}(): ${this.retType(c.rets)} {`);
      lines.push(...this.callBody(c, null, '  '));
      lines.push('}');
      later.add(lines, () => {
        const asyncId = this.topScope.take(asyncName(name));
        return ['', ...this.asyncAccessor('', `export async function ${asyncId}()`, `Async form of \`${name}()\``, c.rets,
          this.asyncCallBody(c, null, '  '))];
      });
    }
    if (g.setter) {
      const name = this.topScope.take(`set${upperFirst(id)}`);
      const c = this.callable(g.setter, name, false);
      const p = c.params[c.params.length - 1] ?? a;
      lines.push('');
      this.doc(lines, '', `Set ${g.name}.${g.comment ? ' ' + g.comment : ''}`);
      lines.push(`export function ${name}(value: ${this.tsType(p, true)}): void {`);
      lines.push(`  entities.${c.entity.key}(${this.argExpr(p, 'value')});`);
      lines.push('}');
      later.add(lines, () => {
        const asyncId = this.topScope.take(asyncName(name));
        return ['', ...this.asyncAccessor('', `export async function ${asyncId}(value: ${this.tsType(p, true)})`,
          `Async form of \`${name}(value)\``, [],
          [`  return entities.${c.entity.key}.async(${this.argExpr(p, 'value')});`])];
      });
    }
  }

  /** An async getter or setter: what it is (for its doc), its head, Promise type and body. */
  asyncAccessor(ind: string, head: string, what: string, rets: ArgInfo[], body: string[]): string[] {
    const lines: string[] = [];
    this.doc(lines, ind, `${what}: the call runs on a pool thread.`);
    lines.push(`${ind}${head}: Promise<${this.retType(rets)}> {`, ...body, `${ind}}`);
    return lines;
  }

  emitClass(lines: string[], info: ClassInfo): void {
    const c = info.idl;
    const cls = info.id;
    const members = new Scope(CLASS_MEMBERS_TAKEN);
    const statics = new Scope(STATIC_TAKEN);
    // async forms are named once every sync member is, so the sync names stay what they were
    const later = new Later();
    lines.push('');
    this.doc(lines, '', c.comment);
    lines.push(`export class ${cls} {`);
    lines.push(`  /** The ${this.runtime} object this wraps. */`);
    lines.push('  readonly handle: MetaFFIHandle;');

    // constructors
    const ctors = c.constructors.map((k, i) => this.callable(k, `${cls}_new${c.constructors.length > 1 ? i + 1 : ''}`, false));
    lines.push('');
    if (ctors.length > 0) {
      this.emitCallables(lines, '  ', 'constructor', ctors, null, 'ctor', cls);
      later.add(lines, () => {
        const name = statics.take(ASYNC_CONSTRUCTOR);
        const out = [''];
        this.emitCallables(out, '  ', `static ${name}`, ctors, null, 'ctor', `${cls}.${name}`,
          { head: `static async ${name}`, syncName: `new ${cls}` });
        return out;
      });
    } else {
      lines.push(`  /** ${cls} objects come from the module's functions; use ${cls}.fromHandle to wrap one. */`);
      lines.push('  private constructor(handle: MetaFFIHandle) {');
      lines.push('    this.handle = handle;');
      lines.push('  }');
    }
    lines.push('');
    lines.push(`  /** Wrap an existing ${this.runtime} object of this class. */`);
    lines.push(`  static fromHandle(handle: MetaFFIHandle): ${cls} {`);
    if (ctors.length > 0) {
      lines.push(`    const self = Object.create(${cls}.prototype) as { handle: MetaFFIHandle };`);
      lines.push('    self.handle = handle;');
      lines.push(`    return self as ${cls};`);
    } else {
      lines.push(`    return new ${cls}(handle);`);
    }
    lines.push('  }');
    if (this.usesNullable(info)) {
      lines.push('');
      lines.push(`  /** Wrap an object, or pass null (None, nil) on. */`);
      lines.push(`  static fromNullable(handle: MetaFFIHandle | null): ${cls} | null {`);
      lines.push(`    return handle === null ? null : ${cls}.fromHandle(handle);`);
      lines.push('  }');
    }

    // fields and properties: get/set pairs
    for (const f of c.fields) {
      const a = this.argInfo(f, null, 'field');
      const getterInstance = f.getter ? isInstanceAccessor(f.getter, 'getter') : false;
      const setterInstance = f.setter ? isInstanceAccessor(f.setter, 'setter') : false;
      const isStatic = f.getter ? !getterInstance : !setterInstance;
      const scope = isStatic ? statics : members;
      const id = scope.take(toIdentifier(f.name, 'field', true));
      if (isStatic) members.take(id); else statics.take(id);
      const asyncAccessors: (() => string[])[] = [];
      const st = isStatic ? 'static ' : '';
      const type = this.tsType(a, false);
      if (f.getter) {
        const k = this.callable(f.getter, `${cls}_${id}_get`, !isStatic);
        if (k.rets.length === 0) k.rets = [a];
        lines.push('');
        this.doc(lines, '  ', f.comment);
        lines.push(`  ${st}get ${id}(): ${this.retType(k.rets)} {`);
        lines.push(...this.callBody(k, isStatic ? null : 'this.handle', '    '));
        lines.push('  }');
        asyncAccessors.push(() => {
          const name = scope.take(asyncName(`get${upperFirst(id)}`));
          return ['', ...this.asyncAccessor('  ', `${st}async ${name}()`, `Async read of \`${isStatic ? cls : 'this'}.${id}\``, k.rets,
            this.asyncCallBody(k, isStatic ? null : 'this.handle', '    '))];
        });
      }
      if (f.setter) {
        const k = this.callable(f.setter, `${cls}_${id}_set`, !isStatic);
        const p = k.params[k.params.length - 1] ?? a;
        lines.push('');
        if (!f.getter) this.doc(lines, '  ', f.comment);
        lines.push(`  ${st}set ${id}(value: ${f.getter ? type : this.tsType(p, true)}) {`);
        lines.push(`    entities.${k.entity.key}(${isStatic ? '' : 'this.handle, '}${this.argExpr(p, 'value')});`);
        lines.push('  }');
        asyncAccessors.push(() => {
          const name = scope.take(asyncName(`set${upperFirst(id)}`));
          return ['', ...this.asyncAccessor('  ', `${st}async ${name}(value: ${this.tsType(p, true)})`,
            `Async write of \`${isStatic ? cls : 'this'}.${id}\``,
            [], [`    return entities.${k.entity.key}.async(${isStatic ? '' : 'this.handle, '}${this.argExpr(p, 'value')});`])];
        });
      }
      // getXAsync() and setXAsync(v) after the get/set pair
      later.add(lines, () => asyncAccessors.flatMap((make) => make()));
    }

    // methods, grouped by name and static-ness for overloads
    const groups = new Map<string, Callable[]>();
    for (const m of c.methods) {
      const instance = isInstance(m);
      const id = toIdentifier(m.name, 'method', true);
      const key = `${instance ? 'i' : 's'}:${id}`;
      const k = this.callable(m, `${cls}_${id}`, false);
      const list = groups.get(key) ?? [];
      list.push(k);
      groups.set(key, list);
    }
    for (const [key, group] of groups) {
      const instance = key.startsWith('i:');
      const wanted = key.slice(2);
      const name = instance ? members.take(wanted) : statics.take(wanted);
      lines.push('');
      this.emitCallables(lines, '  ', `${instance ? '' : 'static '}${name}`, group, instance ? 'this.handle' : null, 'method',
        `${cls}.${name}`);
      later.add(lines, () => {
        const asyncId = instance ? members.take(asyncName(name)) : statics.take(asyncName(name));
        const out = [''];
        this.emitCallables(out, '  ', `${instance ? '' : 'static '}${asyncId}`, group, instance ? 'this.handle' : null, 'method',
          `${cls}.${asyncId}`, { head: `${instance ? '' : 'static '}async ${asyncId}`, syncName: `${instance ? 'this' : cls}.${name}` });
        return out;
      });
    }
    later.fill();

    lines.push('');
    lines.push(`  /** Release the ${this.runtime} object now instead of when this wrapper is garbage-collected. */`);
    lines.push('  release(): void {');
    lines.push('    this.handle.release();');
    lines.push('  }');
    lines.push('');
    lines.push('  [Symbol.dispose](): void {');
    lines.push('    this.handle.release();');
    lines.push('  }');
    lines.push('}');
  }

  usesNullable(info: ClassInfo): boolean {
    const all = (f: IdlFunction[]): boolean => f.some((x) => x.return_values.some((r) => r.is_optional && this.classOf(r) === info));
    return this.idl.modules.some((m) => all(m.functions) ||
      m.classes.some((c) => all(c.methods) || c.fields.some((f) => (f.getter ? all([f.getter]) : false) || (f.is_optional && this.classOf(f) === info))) ||
      m.globals.some((g) => g.is_optional && this.classOf(g) === info));
  }
}
