/** The go runtime: plugin build and adapter, the Go toolchain and generator, Go IDL reader. */
export * from './plugin.js';
export * from './generator.js';
export * from './idl.js';
