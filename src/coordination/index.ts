export * from './store/store.js';
export { MemoryStore } from './store/memory-store.js';
export { SqliteStore } from './store/sqlite-store.js';
export { ZkStore, type ZkStoreOptions } from './store/zk-store.js';
export { parseZkUrl, isZkUrl, type ZkUrl } from './zk/zk-url.js';
export { ZkSession, type ZkSessionOptions } from './zk/zk-session.js';
export { ZkLeadership, type ZkLeadershipOptions, type LeadershipState } from './zk-leadership.js';
export { ZkMasterDetector, ZkGroupDetector, type ZkDetectorOptions, type CandidateParser } from './zk-detector.js';
export { masterHostPort, sortedJson } from './zk/zk-group.js';
