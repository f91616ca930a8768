export * from './ports/index.js';
export * from './selectors/index.js';
export * from './controllers/scheduling/index.js';
export * from './controllers/training/index.js';
export * from './resources/index.js';
export * from './scheduler/index.js';
export * from './testing/index.js';
