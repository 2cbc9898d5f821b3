// Health checks and checks run by the agent (issue 3): through a real master and agent, a task whose HTTP
// health check passes reports `healthy: true`; one whose HTTP health check gets 404 reports `healthy: false`
// after the configured consecutive failures and is killed (TASK_KILLED with healthy false); a TCP and a
// COMMAND health check pass; a `check` (not a health check) reports `check_status`. The master keeps
// `healthy` on the task's statuses in /master/state and in the v1 operator GET_TASKS.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { commandTask, freePort, getJson, openFramework, postJson, startCluster, subscribeCall, waitFor, type WireStatus } from '../helpers/index.js';

useCleanup();

type Status = WireStatus & { healthy?: boolean; check_status?: { type?: string; command?: { exit_code?: number }; http?: { status_code?: number } } };

const node = JSON.stringify(process.execPath);
const FAST = { delay_seconds: 0, interval_seconds: 1, timeout_seconds: 5 };

/** A node one-liner HTTP server on 127.0.0.1:port answering 200 on /health, 404 elsewhere; exits after 60 s. */
function httpServer(port: number): string {
  const js = `require('http').createServer((q,s)=>{s.writeHead(q.url==='/health'?200:404);s.end()}).listen(${port},'127.0.0.1');setTimeout(()=>process.exit(0),60000)`;
  return `exec ${node} -e "${js}"`;
}

function tcpServer(port: number): string {
  const js = `require('net').createServer((s)=>s.end()).listen(${port},'127.0.0.1');setTimeout(()=>process.exit(0),60000)`;
  return `exec ${node} -e "${js}"`;
}

describe('agent-side health checks and checks', () => {
  it('reports healthy / unhealthy / check_status and kills a task failing its health check', async () => {
    const { master, agents, agentIds } = await startCluster();
    const agentId = agentIds[0] ?? '';
    const sub = await openFramework(master.url, subscribeCall({ name: 'it-health', capabilities: ['TASK_KILLING_STATE'] }), { autoAck: true });
    const offer = await sub.takeOffer();
    const [okPort, badPort, tcpPort] = [await freePort(), await freePort(), await freePort()];

    const tasks = [
      {
        ...commandTask({ id: 'http-ok', agentId, shell: httpServer(okPort) }),
        // Grace covers the server's start-up; the check is a general HTTP check on the same server.
        health_check: { type: 'HTTP', http: { port: okPort, path: '/health' }, ...FAST, grace_period_seconds: 20, consecutive_failures: 3 },
        check: { type: 'HTTP', http: { port: okPort, path: '/health' }, ...FAST },
      },
      {
        ...commandTask({ id: 'http-bad', agentId, shell: httpServer(badPort), killGraceSecs: 1 }),
        health_check: { type: 'HTTP', http: { port: badPort, path: '/wrong' }, ...FAST, grace_period_seconds: 0, consecutive_failures: 2 },
      },
      {
        ...commandTask({ id: 'tcp', agentId, shell: tcpServer(tcpPort) }),
        health_check: { type: 'TCP', tcp: { port: tcpPort }, ...FAST, grace_period_seconds: 20 },
      },
      {
        // The COMMAND health check runs in the sandbox with the task's environment.
        ...commandTask({ id: 'cmd', agentId, shell: 'touch ready; sleep 60', env: { MARK: 'm1' } }),
        health_check: { type: 'COMMAND', command: { shell: true, value: 'test -f ready && test "$MARK" = m1' }, ...FAST, grace_period_seconds: 20 },
      },
      {
        ...commandTask({ id: 'check', agentId, shell: 'sleep 60' }),
        check: { type: 'COMMAND', command: { command: { shell: true, value: 'exit 3' } }, ...FAST },
      },
    ];
    const r = await sub.accept([offer.id.value], tasks);
    expect(r.status).toBe(202);

    const updates = (id: string): Status[] => sub.updates(id);
    const waitStatus = (id: string, pred: (s: Status) => boolean, what: string): Promise<Status> =>
      waitFor(() => updates(id).find(pred), { timeoutMs: 20_000, what: `${what} (updates: ${JSON.stringify(updates(id).map((s) => [s.state, s.reason, s.healthy]))})` });

    // Passing HTTP health check.
    const healthy = await waitStatus('http-ok', (s) => s.healthy === true, 'http-ok healthy');
    expect(healthy.state).toBe('TASK_RUNNING');
    expect(healthy.reason).toBe('REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
    expect(healthy.source).toBe('SOURCE_EXECUTOR');
    // The general HTTP check on the same task reports the status code.
    const http200 = await waitStatus('http-ok', (s) => s.check_status?.http?.status_code === 200, 'http-ok check_status 200');
    expect(http200.reason).toBe('REASON_TASK_CHECK_STATUS_UPDATED');
    expect(http200.check_status?.type).toBe('HTTP');

    // Failing HTTP health check: unhealthy after 2 consecutive failures, then killed with healthy false.
    const killed = await waitStatus('http-bad', (s) => s.state === 'TASK_KILLED', 'http-bad killed');
    expect(killed.healthy).toBe(false);
    const bad = updates('http-bad');
    const unhealthy = bad.filter((s) => s.state === 'TASK_RUNNING' && s.healthy === false);
    expect(unhealthy.length).toBeGreaterThanOrEqual(2);
    expect(unhealthy.every((s) => s.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED')).toBe(true);
    expect(bad.some((s) => s.healthy === true)).toBe(false);
    expect(bad.some((s) => s.state === 'TASK_KILLING')).toBe(true);

    // TCP and COMMAND health checks.
    await waitStatus('tcp', (s) => s.healthy === true, 'tcp healthy');
    await waitStatus('cmd', (s) => s.healthy === true, 'cmd healthy');

    // A check (not a health check): RUNNING carries the empty status, then the exit code arrives once.
    const running = await waitStatus('check', (s) => s.state === 'TASK_RUNNING', 'check running');
    expect(running.check_status).toEqual({ type: 'COMMAND', command: {} });
    const exit3 = await waitStatus('check', (s) => s.check_status?.command?.exit_code === 3, 'check exit code');
    expect(exit3.state).toBe('TASK_RUNNING');
    expect(exit3.reason).toBe('REASON_TASK_CHECK_STATUS_UPDATED');
    expect(exit3.healthy).toBeUndefined();

    // The master keeps `healthy` on the task's statuses (legacy /master/state and v1 GET_TASKS).
    const state = await getJson<{ frameworks: Array<{ tasks: Array<{ id: string; statuses: Array<{ state: string; healthy?: boolean }> }> }> }>(`${master.url}/master/state`);
    const okTask = state.frameworks.flatMap((f) => f.tasks).find((t) => t.id === 'http-ok');
    expect(okTask?.statuses.at(-1)).toMatchObject({ state: 'TASK_RUNNING', healthy: true });
    // …and so does the agent's legacy /state.
    const agentState = await getJson<{ frameworks: Array<{ executors: Array<{ tasks: Array<{ id: string; statuses: Array<{ state: string; healthy?: boolean }> }> }> }> }>(`${agents[0]?.url ?? ''}/state`);
    const agentOk = agentState.frameworks.flatMap((f) => f.executors).flatMap((e) => e.tasks).find((t) => t.id === 'http-ok');
    expect(agentOk?.statuses.at(-1)).toMatchObject({ state: 'TASK_RUNNING', healthy: true });
    const v1 = await postJson(`${master.url}/api/v1`, { type: 'GET_TASKS' }, { accept: 'application/json' });
    expect(v1.status).toBe(200);
    const v1Tasks = (JSON.parse(v1.body) as { get_tasks: { tasks?: Array<{ task_id: { value: string }; statuses?: Status[] }> } }).get_tasks.tasks ?? [];
    const v1Ok = v1Tasks.find((t) => t.task_id.value === 'http-ok');
    expect(v1Ok?.statuses?.at(-1)?.healthy).toBe(true);

    // One update per change of the check's result: exit code 3 (seen every second) was reported once.
    expect(updates('check').filter((s) => s.check_status?.command?.exit_code === 3)).toHaveLength(1);

    await sub.teardown();
  }, 45_000);
});
