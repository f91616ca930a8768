export * from './ports/index.js';
export * from './selectors/index.js';
export * from './controllers/scheduling/index.js';
