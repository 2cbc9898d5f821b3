export * from './store/store.js';
export { MemoryStore } from './store/memory-store.js';
export { SqliteStore } from './store/sqlite-store.js';
