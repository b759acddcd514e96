export { MetaFFIRuntime, MetaFFIModule, asyncThreads } from './runtime.js';
export type { MetaFFICallable, MetaFFITypeList } from './runtime.js';
export { MetaFFITypes, MetaFFITypeInfo } from './types.js';
export type { MetaFFITypeSpec } from './types.js';
export { MetaFFIError } from './errors.js';
export type { MetaFFIErrorDetails } from './errors.js';
export { MetaFFIHandle } from './handle.js';
export { makeMetaFFICallable } from './callable.js';
