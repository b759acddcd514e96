/** The openjdk runtime: discovery, plugin build and adapter, Java IDL reader. */
export * from './discovery.js';
export * from './plugin.js';
export * from './idl.js';
