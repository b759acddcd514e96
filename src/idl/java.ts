import { MetaFFIError } from '../errors.js';
import type { IdlDefinition } from './schema.js';

export function extractJavaIdl(source: string): IdlDefinition {
  throw new MetaFFIError(`reading the interface of ${source} is not supported yet`);
}
