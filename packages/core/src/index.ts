export * from './ports/index.js';
export * from './selectors/index.js';
