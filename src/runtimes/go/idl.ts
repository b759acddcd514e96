import type { IdlDefinition } from '../../idl/schema.js';
import { runGoHelper } from './generator.js';

/**
 * The IDL of a Go file (read alone) or package folder, read by the Go toolchain's own
 * parser and type checker (runtimes/go/generator). Exported functions, methods (pointer and value
 * receivers, promoted ones included), struct fields, package variables and constants.
 * Entity paths are the go runtime's: callable=Func, callable=Type.Method with
 * instance_required, field=Type.Field and global=Name with getter/setter, and the
 * zero-value constructor callable=new(Type) of each struct type. Functions named New<Type>
 * returning the type are listed as its constructors too. A class's release has an empty
 * entity path: the handle's release() drops the Go object.
 */
export function extractGoIdl(source: string): IdlDefinition {
  const out = runGoHelper(['idl', source], `cannot read the Go interface of ${source}`);
  return JSON.parse(out) as IdlDefinition;
}
