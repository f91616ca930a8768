export * from './clock.js';
export * from './rng.js';
export * from './recorder.js';
export * from './store.js';
export * from './executor.js';
