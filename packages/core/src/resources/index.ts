export * from './resource-amounts.js';
