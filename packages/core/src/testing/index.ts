export * from './builders.js';
export * from './cycle-builders.js';
