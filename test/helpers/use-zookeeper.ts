/**
 * One real ZooKeeper ensemble per test file: started before the file's tests, stopped after them. Returns a
 * stand-in for the ensemble that forwards to it once started, so a file can write `const zk = useZooKeeper()`
 * at top level (the ensemble itself only exists after beforeAll has run).
 */
import { afterAll, beforeAll } from 'vitest';
import { startZooKeeper, type ZkEnsemble, type ZkOptions } from './zookeeper.js';

export function useZooKeeper(opts: ZkOptions = {}): ZkEnsemble {
  let ensemble: ZkEnsemble | undefined;
  beforeAll(async () => {
    ensemble = await startZooKeeper(opts);
  }, 60_000);
  afterAll(async () => {
    await ensemble?.stop();
  });
  const started = (): ZkEnsemble => {
    if (ensemble === undefined) throw new Error('useZooKeeper: the ensemble starts in beforeAll; use it inside tests');
    return ensemble;
  };
  return {
    get servers() {
      return started().servers;
    },
    get connectString() {
      return started().connectString;
    },
    url: (path) => started().url(path),
    waitServing: (timeoutMs) => started().waitServing(timeoutMs),
    stop: () => started().stop(),
  };
}
