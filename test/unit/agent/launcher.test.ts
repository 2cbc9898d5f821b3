import { killPids, pidsUsingPath } from '../../helpers/proc.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '../../../src/core/clock.js';
import { PosixLauncher, decodeWaitStatus, taskArgv, type ExitStatus } from '../../../src/agent/containerizer/launcher.js';
import { killGraceMs, taskEnvironment } from '../../../src/agent/task-record.js';
import { waitFor } from '../../helpers/wait.js';

let dir: string;
let launcher: PosixLauncher;
const exits = new Map<string, ExitStatus>();
let n = 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function launch(command: Record<string, unknown>, env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }): Promise<{ cid: string; sandbox: string; spid: number }> {
  const cid = `c${n++}`;
  const sandbox = join(dir, 'sandboxes', cid);
  mkdirSync(sandbox, { recursive: true });
  const spid = await launcher.launch({ containerId: cid, sandbox, command: command, env });
  return { cid, sandbox, spid };
}

const exitOf = (cid: string): Promise<ExitStatus> => waitFor(() => exits.get(cid), { what: `exit of ${cid}` });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agora-launcher-'));
  exits.clear();
  launcher = new PosixLauncher(join(dir, 'runs'), new SystemClock(), (cid, st) => exits.set(cid, st), 50);
  await launcher.init();
});

afterEach(() => {
  launcher.stop();
  // Tasks outlive the launcher by design; a test that failed midway must not leave them running.
  killPids(pidsUsingPath(dir));
  rmSync(dir, { recursive: true, force: true });
});

describe('posix launcher', () => {
  it('runs the shell form with stdout and stderr in the sandbox', async () => {
    const { cid, sandbox } = await launch({ value: 'echo out; echo err >&2; pwd' });
    expect(await exitOf(cid)).toEqual({ kind: 'exited', code: 0 });
    expect(readFileSync(join(sandbox, 'stdout'), 'utf8')).toBe(`out\n${sandbox}\n`);
    expect(readFileSync(join(sandbox, 'stderr'), 'utf8')).toBe('err\n');
  });

  it('runs the argv form without a shell', async () => {
    const { cid, sandbox } = await launch({ shell: false, value: '/bin/echo', arguments: ['echo', 'a b', '$HOME'] });
    expect(await exitOf(cid)).toEqual({ kind: 'exited', code: 0 });
    expect(readFileSync(join(sandbox, 'stdout'), 'utf8')).toBe('a b $HOME\n');
  });

  it('reports non-zero exits and signals', async () => {
    const a = await launch({ value: 'exit 7' });
    const b = await launch({ value: 'kill -SEGV $$' });
    expect(await exitOf(a.cid)).toEqual({ kind: 'exited', code: 7 });
    expect(await exitOf(b.cid)).toEqual({ kind: 'signaled', signal: 'SIGSEGV' });
    expect(decodeWaitStatus(137)).toEqual({ kind: 'signaled', signal: 'SIGKILL' });
  });

  it('passes the task environment including the MESOS_* variables', async () => {
    const env = taskEnvironment(
      { name: 't', task_id: { value: 't9' }, agent_id: { value: 'a' }, command: { value: 'env', environment: { variables: [{ name: 'FOO', value: 'bar' }] } } },
      { frameworkId: 'f1', taskId: 't9', agentId: 'a1', sandbox: '/sb', agentIp: '10.0.0.1', agentPort: 5051, checkpoint: true, shutdownGrace: '5secs' },
      { PATH: '/usr/bin:/bin', HOME: '/root' },
    );
    const { cid, sandbox } = await launch({ value: 'env' }, env);
    await exitOf(cid);
    const out = readFileSync(join(sandbox, 'stdout'), 'utf8');
    for (const line of [
      'FOO=bar',
      'MESOS_FRAMEWORK_ID=f1',
      'MESOS_EXECUTOR_ID=t9',
      'MESOS_TASK_ID=t9',
      'MESOS_DIRECTORY=/sb',
      'MESOS_SANDBOX=/sb',
      'MESOS_SLAVE_ID=a1',
      'MESOS_SLAVE_PID=slave(1)@10.0.0.1:5051',
      'MESOS_AGENT_ENDPOINT=10.0.0.1:5051',
      'MESOS_CHECKPOINT=1',
      'HOME=/root',
    ]) {
      expect(out).toContain(`${line}\n`);
    }
  });

  it('gives a task that traps SIGTERM its grace period', async () => {
    const { cid, sandbox } = await launch({ value: 'trap "echo got-term; exit 0" TERM; while true; do sleep 0.05; done' });
    await waitFor(() => launcher.taskPid(cid), { what: 'task pid' });
    await new Promise((r) => globalThis.setTimeout(r, 100));
    expect(await launcher.signal(cid, 'SIGTERM')).toBe(true);
    expect(await exitOf(cid)).toEqual({ kind: 'exited', code: 0 });
    expect(readFileSync(join(sandbox, 'stdout'), 'utf8')).toContain('got-term');
  });

  it('SIGKILLs a task that ignores SIGTERM, and its children are gone too', async () => {
    const { cid, sandbox } = await launch({ value: 'trap "" TERM; sleep 300 & echo $! > child.pid; while true; do sleep 0.05; done' });
    const pid = await waitFor(() => launcher.taskPid(cid), { what: 'task pid' });
    const childPid = await waitFor(() => (existsSync(join(sandbox, 'child.pid')) ? Number(readFileSync(join(sandbox, 'child.pid'), 'utf8')) || undefined : undefined), { what: 'child pid' });
    await launcher.signal(cid, 'SIGTERM');
    await new Promise((r) => globalThis.setTimeout(r, 300));
    expect(alive(pid)).toBe(true);
    expect(exits.has(cid)).toBe(false);
    await launcher.signal(cid, 'SIGKILL');
    expect(await exitOf(cid)).toEqual({ kind: 'signaled', signal: 'SIGKILL' });
    await waitFor(() => !alive(childPid) && !alive(pid), { what: 'process tree gone' });
  });

  it('computes the kill grace from the kill policy', () => {
    const task = { name: 't', task_id: { value: 't' }, agent_id: { value: 'a' } };
    expect(killGraceMs(task)).toBe(3000);
    expect(killGraceMs({ ...task, kill_policy: { grace_period: { nanoseconds: 1e9 } } })).toBe(1000);
    expect(killGraceMs({ ...task, kill_policy: { grace_period: { nanoseconds: 1e9 } } }, { grace_period: { nanoseconds: 0 } })).toBe(0);
  });

  it('supervises a recovered container by polling and reads its status', async () => {
    const { cid, spid } = await launch({ value: 'sleep 0.3; exit 4' });
    const other = new Map<string, ExitStatus>();
    const second = new PosixLauncher(join(dir, 'runs'), new SystemClock(), (c, st) => other.set(c, st), 50);
    // A lost journal record is recovered as the running task's parent.
    expect(await waitFor(() => second.supervisorPid(cid))).toBe(spid);
    second.recover(cid, spid);
    expect(await waitFor(() => other.get(cid), { what: 'recovered exit' })).toEqual({ kind: 'exited', code: 4 });
    second.stop();
  });

  it('execs plain command lines directly and keeps the shell for anything else', async () => {
    expect(taskArgv({ value: 'sleep 600' })).toEqual(['sleep', '600']);
    expect(taskArgv({ value: ' /usr/bin/env  -u X ' })).toEqual(['/usr/bin/env', '-u', 'X']);
    for (const v of ['exit 3', 'echo hi', 'A=1 env', 'sleep $T', 'cat x > y', 'a && b', 'ls *', "echo 'x'", 'cd /tmp']) {
      expect(taskArgv({ value: v })).toEqual(['/bin/sh', '-c', v]);
    }
    expect(taskArgv({ shell: false, value: '/bin/echo', arguments: ['echo', 'x'] })).toEqual(['/bin/echo', 'x']);
    const missing = await launch({ value: 'no-such-command-agora 1' });
    expect(await exitOf(missing.cid)).toEqual({ kind: 'exited', code: 127 });
  });

  it('passes awkward environment values and names through the spawner intact', async () => {
    const env = { PATH: '/usr/bin:/bin', WEIRD: "it's a\nmulti-line $value `x` \"q\"", 'DOTTED.NAME': 'ok', IFS: ':', s: 'mine', p: 'P' };
    const { cid, sandbox } = await launch({ shell: false, value: '/usr/bin/env', arguments: ['env'] }, env);
    expect(await exitOf(cid)).toEqual({ kind: 'exited', code: 0 });
    const out = readFileSync(join(sandbox, 'stdout'), 'utf8');
    expect(out).toContain(`WEIRD=it's a\nmulti-line $value \`x\` "q"\n`);
    // A shell supervisor cannot carry names that are not identifiers (documented limitation).
    expect(out).not.toContain('DOTTED.NAME');
    expect(out).not.toContain('NL=');
    expect(out).toContain('IFS=:\n');
    expect(out).toContain('s=mine\n');
    expect(out).toContain('p=P\n');
    expect(out).not.toContain('__agora');
    expect(out.split('\n').filter((l) => /^[A-Za-z_]+=/.test(l)).map((l) => l.split('=')[0]).sort()).toEqual(['IFS', 'PATH', 'PWD', 'WEIRD', 'p', 's']);
  });

  it('reports every exit of a burst of short tasks', async () => {
    const cids = await Promise.all(Array.from({ length: 100 }, (_, i) => launch({ value: `exit ${i % 3}` }).then((r) => r.cid)));
    await waitFor(() => cids.every((c) => exits.has(c)), { what: 'all exits', timeoutMs: 30_000 });
    cids.forEach((c, i) => expect(exits.get(c)).toEqual({ kind: 'exited', code: i % 3 }));
  });

  it('fails a container whose sandbox is missing', async () => {
    const cid = 'nosandbox';
    await launcher.launch({ containerId: cid, sandbox: join(dir, 'does-not-exist'), command: { value: 'true' }, env: {} });
    expect((await exitOf(cid)).kind).toBe('unknown');
  });

  it('notices a supervisor killed from outside (no notification) and reports an unknown end', async () => {
    const { cid, spid } = await launch({ value: 'sleep 30' });
    const task = await waitFor(() => launcher.taskPid(cid), { what: 'task pid' });
    process.kill(spid, 'SIGKILL');
    const st = await exitOf(cid);
    expect(st.kind).toBe('unknown');
    // The orphaned task's process group was killed too.
    await waitFor(() => !alive(task), { what: 'task gone' });
  });
});
