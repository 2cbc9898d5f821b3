// Acceptance (n): the operator CLI over real daemons. A task prints a line every 200 ms; `agora logs --follow`
// (a real CLI process) shows the lines as they are written; `agora tasks` lists the task; the agent's v1
// GET_TASKS and READ_FILE return it; `agora events` sees TASK_ADDED and TASK_UPDATED for it.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { AGORA_BIN, REPO_ROOT, commandTask, freePort, getJson, openFramework, postJson, runAgora, startCluster, subscribeCall, track, waitFor, type Spawned } from '../helpers/index.js';

useCleanup();

interface Streaming {
  readonly proc: Spawned;
  /** stdout chunks with their arrival time (performance.now()). */
  readonly chunks: { at: number; text: string }[];
  stdout(): string;
  stderr(): string;
}

/** Spawns `agora ...args` with piped output, recording when each stdout chunk arrives; killed by cleanup. */
function spawnCli(args: readonly string[]): Streaming {
  const child = spawn(process.execPath, [AGORA_BIN, ...args], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: { at: number; text: string }[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => chunks.push({ at: performance.now(), text: d.toString() }));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let code: number | undefined;
  const exited = new Promise<number>((res) => child.once('close', (c) => res((code = c ?? 128))));
  const pid = child.pid ?? -1;
  const kill = async (): Promise<number> => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
    return exited;
  };
  const stdout = (): string => chunks.map((c) => c.text).join('');
  const proc: Spawned = { name: `cli-${args[0] ?? ''}`, pid, logPath: '', child, exited, exitCode: () => code, kill, stop: kill, log: () => stdout() + err };
  track(proc);
  return { proc, chunks, stdout, stderr: () => err };
}

type Json = Record<string, unknown>;

describe('acceptance (n): operator CLI', () => {
  it('follows a task log live, lists the task, reads it through the agent API, streams its events, and fails clearly', async () => {
    const { master, agents, agentIds } = await startCluster({ agents: 1 });
    const agent = agents[0];
    if (agent === undefined) throw new Error('no agent');
    const events = spawnCli(['events', '--master', master.url, '--type', 'TASK_ADDED,TASK_UPDATED']);
    // Failures, meanwhile: an unknown task and an unreachable master are one clear line and exit code 1.
    const downPort = await freePort();
    const failures = Promise.all([runAgora(['logs', 'no-such-task', '--master', master.url], 30_000), runAgora(['tasks', '--master', `127.0.0.1:${downPort}`], 30_000)]);
    // The stream is open once the master counts the subscriber.
    await waitFor(
      async () => {
        const r = await postJson(`${master.url}/api/v1`, { type: 'GET_METRICS' });
        return (JSON.parse(r.body) as { get_metrics: { metrics: { name: string; value: number }[] } }).get_metrics.metrics.some((m) => m.name === 'master/operator_event_stream_subscribers' && m.value >= 1);
      },
      { what: 'agora events subscribed', timeoutMs: 15_000 },
    );

    const sub = await openFramework(master.url, subscribeCall({ name: 'it-n' }), { autoAck: true });
    const offer = await sub.takeOffer((o) => o.agent_id.value === agentIds[0]);
    // Prints a line every 200 ms until the test creates `stop` in its sandbox: however slow the CLI starts on
    // a loaded machine, the follower sees lines being written.
    const shell = 'i=0; while [ ! -e stop ]; do i=$((i+1)); echo line-$i; sleep 0.2; done; echo end';
    expect((await sub.accept([offer.id.value], [commandTask({ id: 'ticker', agentId: offer.agent_id.value, shell })])).status).toBe(202);

    const logs = spawnCli(['logs', 'ticker', '--follow', '--master', master.url, '--interval', '100ms']);
    await waitFor(() => logs.stdout().includes('line-1\n'), { what: 'first log line', timeoutMs: 15_000 });

    // While it runs: the agent's GET_TASKS and READ_FILE return it, and `agora tasks` lists it.
    const tasksRun = runAgora(['tasks', '--master', master.url], 30_000);
    const agentTasks = JSON.parse((await postJson(`${agent.url}/api/v1`, { type: 'GET_TASKS' })).body) as { get_tasks: { launched_tasks: Json[] } };
    expect(agentTasks.get_tasks.launched_tasks).toContainEqual(expect.objectContaining({ task_id: { value: 'ticker' }, state: 'TASK_RUNNING' }));
    const path = `/frameworks/${sub.frameworkId}/executors/ticker/runs/latest/stdout`;
    const read = await postJson(`${agent.url}/slave(1)/api/v1`, { type: 'READ_FILE', read_file: { path, offset: 0 } });
    expect(read.status).toBe(200);
    const file = (JSON.parse(read.body) as { read_file: { size: number; data: string } }).read_file;
    expect(Buffer.from(file.data, 'base64').toString()).toMatch(/^line-1\n/);
    expect(file.size).toBeGreaterThan(0);
    const tasks = await tasksRun;
    expect(tasks.code, tasks.stderr).toBe(0);
    const header = tasks.stdout.split('\n')[0] ?? '';
    expect(header).toMatch(/^ID\s+FRAMEWORK\s+AGENT\s+STATE\s+HEALTHY$/);
    expect(tasks.stdout).toMatch(new RegExp(`ticker\\s+${sub.frameworkId}\\s+${agentIds[0] ?? ''}\\s+TASK_RUNNING\\s+-`));

    // Output arrives as it is written: several chunks spread over more than a second.
    const span = (): number => (logs.chunks[logs.chunks.length - 1]?.at ?? 0) - (logs.chunks[0]?.at ?? 0);
    await waitFor(() => logs.chunks.length >= 3 && span() > 1000, { what: 'log lines arriving over time', timeoutMs: 20_000 });
    const state = await getJson<{ frameworks: { executors: { id: string; directory: string }[] }[] }>(`${agent.url}/state`);
    const dir = state.frameworks.flatMap((f) => f.executors).find((e) => e.id === 'ticker')?.directory;
    if (dir === undefined) throw new Error('no sandbox for ticker');
    writeFileSync(join(dir, 'stop'), '');

    // The follower ends by itself once the task is terminal and the file is drained.
    expect(await logs.proc.exited, logs.stderr()).toBe(0);
    await sub.waitUpdate('ticker', 'TASK_FINISHED');
    // Every line exactly once, in order, through the last one written before the task ended.
    const printed = logs.stdout().split('\n');
    expect(printed.at(-1)).toBe('');
    expect(printed.at(-2)).toBe('end');
    const numbered = printed.slice(0, -2);
    expect(numbered.length).toBeGreaterThanOrEqual(5);
    expect(numbered).toEqual(numbered.map((_, i) => `line-${i + 1}`));

    // `agora events` printed TASK_ADDED and TASK_UPDATED (running, finished) for the task, one JSON per line.
    await waitFor(() => events.stdout().includes('TASK_FINISHED'), { what: 'TASK_UPDATED finished event', timeoutMs: 10_000 });
    const lines = events
      .stdout()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { type: string; task_added?: { task: { task_id: { value: string } } }; task_updated?: { state: string; status: { task_id: { value: string } } } });
    expect(new Set(lines.map((l) => l.type))).toEqual(new Set(['TASK_ADDED', 'TASK_UPDATED']));
    expect(lines.find((l) => l.type === 'TASK_ADDED')?.task_added?.task.task_id.value).toBe('ticker');
    const updates = lines.filter((l) => l.type === 'TASK_UPDATED' && l.task_updated?.status.task_id.value === 'ticker').map((l) => l.task_updated?.state);
    expect(updates).toContain('TASK_RUNNING');
    expect(updates).toContain('TASK_FINISHED');
    expect(events.proc.exitCode()).toBeUndefined();

    const [unknown, down] = await failures;
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(`error: unknown task 'no-such-task': the master at ${master.url} does not know it`);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^error: cannot reach the master at http://127.0.0.1:${downPort} `));
  });
});
