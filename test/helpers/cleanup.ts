/**
 * Vitest wiring for integration tests: after each test, print every daemon log when the test failed, close
 * the subscriptions and kill every spawned process group, stray task process and temp dir.
 */
import { afterAll, afterEach } from 'vitest';
import { allLogs, cleanupAll } from './daemons.js';
import { closeAllSubscriptions } from './scheduler-client.js';

/**
 * Call once at the top of an integration test file. With `perTest: false` daemons started in beforeAll are
 * shared by the file's tests and only killed after the last one (logs are still printed for each failure).
 */
export function useCleanup(opts: { perTest?: boolean } = {}): void {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`daemon logs for failed test "${ctx.task.name}":\n${allLogs()}`);
    if (opts.perTest === false) return;
    closeAllSubscriptions();
    const strays = await cleanupAll();
    if (strays.length > 0) console.warn(`killed ${strays.length} stray task process(es) after "${ctx.task.name}": ${strays.join(', ')}`);
  });
  afterAll(async () => {
    closeAllSubscriptions();
    await cleanupAll();
  });
}
