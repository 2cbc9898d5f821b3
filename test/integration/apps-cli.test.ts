/**
 * `agora app` / `agora deploy` against a real master, agent and `agora apps`: add an app from a JSON file,
 * list it, scale it to 2, remove it; a 422 shows its details; an unplaceable app is explained by `app why`,
 * blocks a scale (409, exit 1), and its deployment is listed, watched live and cancelled (the watch then
 * ends with 1: goal not reached). CLI runs that do not depend on each other run in parallel to keep the file short.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { getJson, runAgora, spawnAgora, startAppsDaemon, startCluster, tempDir, waitFor } from '../helpers/index.js';

useCleanup();

interface TaskJson {
  id: string;
  state: string;
}

describe('agora app / agora deploy CLI', () => {
  it('adds, lists, scales and removes an app; explains and reports errors', async () => {
    const { master } = await startCluster();
    const url = await startAppsDaemon(master.hostPort, 'agora-apps-cli-');
    const dir = tempDir('agora-apps-cli-defs-');
    const app = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => runAgora(['app', ...args, '--apps', url], 20_000);

    // add from a JSON file, then list (with a rejected definition beside it: 422 details on stderr, exit 1).
    const def = join(dir, 'sleeper.json');
    writeFileSync(def, JSON.stringify({ id: '/cli/sleeper', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 1 }));
    const added = await app('add', def);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^Created app \/cli\/sleeper \(deployment \S+; follow it with: agora deploy watch \S+\)/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ id: '/cli/bad', cmd: 'true', instances: -1 }));
    const [listed, rejected] = await Promise.all([app('list'), app('add', bad)]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+INSTANCES\s+RUNNING/);
    expect(listed.stdout).toMatch(/\/cli\/sleeper\s+1\s/);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/error: .* \(HTTP 422\)/);
    expect(rejected.stderr).toMatch(/^ {2}\/instances: /m);

    // scale to 2: both run.
    const scaled = await app('scale', 'cli/sleeper', '2');
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stdout).toContain('Scaling /cli/sleeper to 2 instance(s)');
    await waitFor(async () => {
      const t = (await getJson<{ tasks: TaskJson[] }>(`${url}/v2/apps/cli/sleeper/tasks`)).tasks;
      return t.length === 2 && t.every((x) => x.state === 'TASK_RUNNING');
    }, { timeoutMs: 15_000, what: '2 running tasks' });

    // Beside `app tasks`: an app no agent can hold.
    const big = join(dir, 'big.json');
    writeFileSync(big, JSON.stringify({ id: '/cli/big', cmd: 'sleep 1000', cpus: 1000, mem: 16, instances: 1 }));
    const [tasks, bigAdded] = await Promise.all([app('tasks', '/cli/sleeper'), app('add', big)]);
    expect(tasks.stdout.match(/TASK_RUNNING/g)).toHaveLength(2);
    expect(bigAdded.code, bigAdded.stderr).toBe(0);
    const deploymentId = /deployment (\S+);/.exec(bigAdded.stdout)?.[1] ?? '';

    // `why` names the rejecting filter; its deployment is listed and blocks a scale (409).
    await waitFor(async () => {
      const q = await getJson<{ queue: { processedOffersSummary: { rejectSummaryLastOffers: { reason: string; declined: number }[] } }[] }>(`${url}/v2/queue`);
      return q.queue[0]?.processedOffersSummary.rejectSummaryLastOffers.some((r) => r.reason === 'InsufficientCpus' && r.declined > 0);
    }, { timeoutMs: 15_000, what: 'an offer declined for InsufficientCpus' });
    const [why, deployments, locked] = await Promise.all([app('why', '/cli/big'), runAgora(['deploy', 'list', '--apps', url]), app('scale', '/cli/big', '3')]);
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toMatch(/^InsufficientCpus\s+[1-9]\d*\s+[1-9]/m);
    expect(why.stdout).toContain('most offers were rejected by: InsufficientCpus');
    expect(deployments.stdout).toContain(deploymentId);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('(HTTP 409)');
    expect(locked.stderr).toContain(`blocked by deployment(s): ${deploymentId}`);

    // A live watch of that deployment shows its steps and, once it is cancelled, ends with 1 (goal not reached).
    const watch = spawnAgora('watch', ['deploy', 'watch', deploymentId, '--interval', '200ms', '--timeout', '20secs', '--apps', url], dir);
    await waitFor(() => watch.log().includes('ScaleApplication /cli/big [....................] 0/1 ready'), { timeoutMs: 10_000, what: 'the watch display' });
    const cancelled = await runAgora(['deploy', 'cancel', deploymentId, '--force', '--apps', url]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(await watch.exited, watch.log()).toBe(1);
    expect(watch.log()).toMatch(new RegExp(`deployment ${deploymentId} ended after \\d+\\.\\ds without reaching its goal`));

    // remove: no task left on the master, and the app is gone.
    const removed = await app('remove', '/cli/sleeper');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('Removing /cli/sleeper');
    const [missing] = await Promise.all([
      app('show', '/cli/sleeper'),
      waitFor(async () => {
        const state = await getJson<{ frameworks: { tasks: { state: string }[] }[] }>(`${master.url}/master/state`);
        return state.frameworks.every((f) => f.tasks.every((t) => t.state !== 'TASK_RUNNING'));
      }, { timeoutMs: 15_000, what: 'no running task on the master' }),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("App '/cli/sleeper' does not exist (HTTP 404)");
  });
});
