// What `require('metaffi')` gets: metaffi is an ES module package, and Node.js 20 cannot
// require() ES modules, so say what to change instead of failing with a resolver error.
throw new Error("metaffi is an ES module: load it with `import { MetaFFIRuntime } from 'metaffi'` " +
  "(or `await import('metaffi')` from CommonJS code). A TypeScript project compiled to CommonJS can " +
  "switch by setting \"type\": \"module\" in its package.json with \"module\": \"NodeNext\" in tsconfig.json.");
