/** The python3 runtime: discovery, plugin build and adapter, Python IDL reader. */
export * from './discovery.js';
export * from './plugin.js';
export * from './idl.js';
