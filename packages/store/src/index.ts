export { BackendStore, DEFAULT_WATCH_LOG_RETENTION, type StoreOptions } from './base-store.js';
export { MemoryStore } from './memory-store.js';
export { SqliteStore, openSqliteStore } from './sqlite-store.js';
export { MIGRATIONS, type Migration } from './sqlite/migrations.js';
export type { StorageBackend, ChangeRecord, ChangeType, ScanFrom } from './storage-backend.js';
export { runStoreConformance, type StoreFactory, type StoreFactoryOptions } from './conformance.js';
