import { MetaFFIError } from '../errors.js';
import type { IdlDefinition } from './schema.js';

export function extractGoIdl(source: string): IdlDefinition {
  throw new MetaFFIError(`reading the interface of ${source} is not supported yet`);
}
