import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import type { CheckStatusInfoJson, HealthCheckJson, TaskInfoJson, TaskStatusJson } from '../../../src/api/mesos/common.js';
import {
  checkSpec,
  healthSpec,
  healthStep,
  initialHealth,
  ProbeRunner,
  TaskChecks,
  type CheckFields,
  type ProbeOutcome,
  type Prober,
  type ProbeSpec,
} from '../../../src/agent/health/index.js';

/** A prober whose outcomes the test scripts: one per call, or a pending promise that only an abort ends. */
class ScriptedProber {
  readonly calls: { probe: ProbeSpec; at: number }[] = [];
  aborted = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly next: (n: number) => ProbeOutcome | 'hang',
  ) {}
  readonly prober: Prober = (probe, _ctx, signal) => {
    this.calls.push({ probe, at: this.clock.now() });
    const o = this.next(this.calls.length);
    if (o !== 'hang') return Promise.resolve(o);
    return new Promise((resolve) => {
      signal.addEventListener('abort', () => {
        this.aborted++;
        resolve({ kind: 'error', message: 'aborted' });
      });
    });
  };
}

const ok: ProbeOutcome = { kind: 'http', statusCode: 200 };
const bad: ProbeOutcome = { kind: 'http', statusCode: 500 };
const T0 = 1_700_000_000_000;

describe('healthSpec / checkSpec', () => {
  it('fills upstream defaults (15/10/20 s, 3 failures, grace 10 s)', () => {
    const s = healthSpec({ type: 'TCP', tcp: { port: 80 } });
    expect(s).toMatchObject({ delayMs: 15_000, intervalMs: 10_000, timeoutMs: 20_000, consecutiveFailures: 3, gracePeriodMs: 10_000 });
    expect(s).toMatchObject({ probe: { kind: 'tcp', host: '127.0.0.1', port: 80 } });
    expect(checkSpec({ type: 'HTTP', http: { port: 8080, path: '/x' } })).toMatchObject({
      delayMs: 15_000,
      intervalMs: 10_000,
      timeoutMs: 20_000,
      probe: { kind: 'http', scheme: 'http', host: '127.0.0.1', port: 8080, path: '/x' },
    });
  });

  it('rejects what upstream rejects', () => {
    expect(healthSpec({})).toBe("HealthCheck must specify 'type'");
    expect(healthSpec({ type: 'HTTP' })).toMatch(/Expecting 'http'/);
    expect(healthSpec({ type: 'HTTP', http: { port: 1, path: 'x' } })).toMatch(/must start with '\/'/);
    expect(healthSpec({ type: 'HTTP', http: { port: 1, scheme: 'ftp' } })).toMatch(/Unsupported HTTP health check scheme/);
    expect(healthSpec({ type: 'COMMAND', command: { shell: true } })).toMatch(/'shell command'/);
    expect(healthSpec({ type: 'TCP', tcp: { port: 1 }, interval_seconds: -1 })).toMatch(/non-negative/);
    expect(checkSpec({ type: 'UNKNOWN' })).toMatch(/not a valid check type/);
    expect(checkSpec({ type: 'COMMAND' })).toMatch(/Expecting 'command'/);
  });

  it('uses ::1 for IPv6 health checks and the given scheme', () => {
    expect(healthSpec({ type: 'HTTP', http: { port: 443, scheme: 'https', protocol: 'IPv6' } })).toMatchObject({
      probe: { kind: 'http', scheme: 'https', host: '::1', port: 443, path: '' },
    });
  });
});

describe('healthStep', () => {
  const cfg = { consecutiveFailures: 2, gracePeriodMs: 5000 };

  it('ignores failures within the grace period until the first success', () => {
    let s = initialHealth(T0);
    let r = healthStep(s, false, T0 + 5000, cfg);
    expect(r.report).toBeUndefined();
    s = r.state;
    r = healthStep(s, false, T0 + 5001, cfg);
    expect(r.report).toEqual({ healthy: false, consecutiveFailures: 1, killTask: false });
    r = healthStep(r.state, false, T0 + 6000, cfg);
    expect(r.report).toEqual({ healthy: false, consecutiveFailures: 2, killTask: true });
  });

  it('counts failures after a success even within the grace period', () => {
    const first = healthStep(initialHealth(T0), true, T0 + 1, cfg);
    expect(first.report).toEqual({ healthy: true, consecutiveFailures: 0, killTask: false });
    const again = healthStep(first.state, true, T0 + 2, cfg);
    expect(again.report).toBeUndefined();
    const fail = healthStep(again.state, false, T0 + 3, cfg);
    expect(fail.report).toEqual({ healthy: false, consecutiveFailures: 1, killTask: false });
    const back = healthStep(fail.state, true, T0 + 4, cfg);
    expect(back.report?.healthy).toBe(true);
    expect(back.state.consecutiveFailures).toBe(0);
  });

  it('a zero grace period never ignores failures', () => {
    const r = healthStep(initialHealth(T0), false, T0, { consecutiveFailures: 1, gracePeriodMs: 0 });
    expect(r.report).toEqual({ healthy: false, consecutiveFailures: 1, killTask: true });
  });
});

describe('ProbeRunner', () => {
  const probe: ProbeSpec = { kind: 'tcp', host: '127.0.0.1', port: 1 };
  const ctx = { cwd: '/', env: {} };

  it('waits the delay, then runs every interval after each result', async () => {
    const clock = new FakeClock(T0);
    const p = new ScriptedProber(clock, () => ok);
    const results: ProbeOutcome[] = [];
    const r = new ProbeRunner(clock, { delayMs: 3000, intervalMs: 1000, timeoutMs: 500 }, probe, ctx, p.prober, (o) => results.push(o));
    r.start();
    await clock.advance(2999);
    expect(p.calls).toHaveLength(0);
    await clock.advance(1);
    expect(p.calls.map((c) => c.at - T0)).toEqual([3000]);
    await clock.advance(2000);
    expect(p.calls.map((c) => c.at - T0)).toEqual([3000, 4000, 5000]);
    expect(results).toHaveLength(3);
    await r.stop();
    await clock.advance(10_000);
    expect(p.calls).toHaveLength(3);
    expect(clock.pending()).toBe(0);
  });

  it('ends a probe that outlives its timeout as an error and aborts it', async () => {
    const clock = new FakeClock(T0);
    const p = new ScriptedProber(clock, (n) => (n === 1 ? 'hang' : ok));
    const results: ProbeOutcome[] = [];
    const r = new ProbeRunner(clock, { delayMs: 0, intervalMs: 1000, timeoutMs: 2000 }, probe, ctx, p.prober, (o) => results.push(o));
    r.start();
    await clock.advance(1999);
    expect(results).toEqual([]);
    await clock.advance(1);
    expect(results).toEqual([{ kind: 'error', message: 'Probe timed out after 2secs' }]);
    expect(p.aborted).toBe(1);
    // The next run starts one interval after the timeout.
    await clock.advance(1000);
    expect(p.calls.map((c) => c.at - T0)).toEqual([0, 3000]);
    expect(results[1]).toEqual(ok);
    await r.stop();
  });

  it('a zero timeout waits forever; stop() aborts the probe and delivers nothing', async () => {
    const clock = new FakeClock(T0);
    const p = new ScriptedProber(clock, () => 'hang');
    const results: ProbeOutcome[] = [];
    const r = new ProbeRunner(clock, { delayMs: 0, intervalMs: 1000, timeoutMs: 0 }, probe, ctx, p.prober, (o) => results.push(o));
    r.start();
    await clock.advance(3_600_000);
    expect(results).toEqual([]);
    await r.stop();
    expect(p.aborted).toBe(1);
    expect(results).toEqual([]);
    expect(clock.pending()).toBe(0);
  });
});

interface FakeTask {
  readonly task: TaskInfoJson;
  readonly sandbox: string;
}

function harness(task: Partial<TaskInfoJson>, script: (n: number) => ProbeOutcome | 'hang') {
  const clock = new FakeClock(T0);
  const p = new ScriptedProber(clock, script);
  const updates: { reason: string; fields: CheckFields; at: number }[] = [];
  const kills: number[] = [];
  const checks = new TaskChecks<FakeTask>({
    clock,
    logger: silentLogger(),
    prober: p.prober,
    update: (_t, reason, fields) => updates.push({ reason, fields, at: clock.now() - T0 }),
    kill: () => kills.push(clock.now() - T0),
  });
  const t: FakeTask = { task: { name: 't', task_id: { value: 't1' }, agent_id: { value: 'a' }, ...task }, sandbox: '/tmp' };
  return { clock, p, updates, kills, checks, t };
}

const hc = (h: Partial<HealthCheckJson>): HealthCheckJson => ({ type: 'HTTP', http: { port: 8080, path: '/health' }, ...h });

describe('TaskChecks', () => {
  it('health: grace ignores early failures, then reports each failure and kills after consecutive_failures', async () => {
    const h = harness({ health_check: hc({ delay_seconds: 1, interval_seconds: 1, grace_period_seconds: 3, consecutive_failures: 2 }) }, () => bad);
    h.checks.start(h.t);
    await h.clock.advance(3000); // probes at 1, 2, 3 s: within grace
    expect(h.updates).toEqual([]);
    await h.clock.advance(1000); // 4 s: first counted failure
    expect(h.updates).toEqual([{ reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', fields: { healthy: false }, at: 4000 }]);
    expect(h.kills).toEqual([]);
    await h.clock.advance(1000); // 5 s: second failure -> kill
    expect(h.updates).toHaveLength(2);
    expect(h.kills).toEqual([5000]);
    expect(h.checks.active(h.t)).toBe(false);
    await h.clock.advance(10_000);
    expect(h.p.calls).toHaveLength(5);
    const killed = h.checks.decorate(h.t, { task_id: { value: 't1' }, state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR' });
    expect(killed.healthy).toBe(false);
  });

  it('health: reports healthy on the first success and after failures only', async () => {
    const seq: ProbeOutcome[] = [ok, ok, bad, ok, ok];
    const h = harness({ health_check: hc({ delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 0, consecutive_failures: 3 }) }, (n) => seq[n - 1] ?? ok);
    h.checks.start(h.t);
    await h.clock.advance(4000);
    expect(h.updates.map((u) => [u.at, u.fields.healthy])).toEqual([
      [0, true],
      [2000, false],
      [3000, true],
    ]);
    expect(h.kills).toEqual([]);
    h.checks.stop(h.t);
    await h.checks.stopAll();
    expect(h.clock.pending()).toBe(0);
  });

  it('health: a probe timeout counts as a failure', async () => {
    const h = harness({ health_check: hc({ delay_seconds: 0, interval_seconds: 1, timeout_seconds: 2, grace_period_seconds: 0, consecutive_failures: 1 }) }, () => 'hang');
    h.checks.start(h.t);
    await h.clock.advance(1999);
    expect(h.kills).toEqual([]);
    await h.clock.advance(1);
    expect(h.updates).toEqual([{ reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', fields: { healthy: false }, at: 2000 }]);
    expect(h.kills).toEqual([2000]);
    await h.checks.stopAll();
    expect(h.p.aborted).toBe(1);
  });

  it('check: reports only changes; a failed probe is the empty status; updates carry the latest health', async () => {
    const seq: ProbeOutcome[] = [
      { kind: 'command', exitCode: 1 },
      { kind: 'command', exitCode: 1 },
      { kind: 'command', exitCode: 0 },
      { kind: 'error', message: 'spawn failed' },
      { kind: 'command', signal: 'SIGKILL' },
    ];
    const h = harness(
      { check: { type: 'COMMAND', command: { command: { value: 'true' } }, delay_seconds: 0, interval_seconds: 1, timeout_seconds: 5 } },
      (n) => seq[n - 1] ?? { kind: 'command', exitCode: 0 },
    );
    h.checks.start(h.t);
    await h.clock.advance(5000);
    const statuses = h.updates.map((u) => [u.at, u.reason, u.fields.check_status] as [number, string, CheckStatusInfoJson]);
    expect(statuses).toEqual([
      [0, 'REASON_TASK_CHECK_STATUS_UPDATED', { type: 'COMMAND', command: { exit_code: 1 } }],
      [2000, 'REASON_TASK_CHECK_STATUS_UPDATED', { type: 'COMMAND', command: { exit_code: 0 } }],
      [3000, 'REASON_TASK_CHECK_STATUS_UPDATED', { type: 'COMMAND', command: {} }],
      [5000, 'REASON_TASK_CHECK_STATUS_UPDATED', { type: 'COMMAND', command: { exit_code: 0 } }],
    ]);
    expect(h.kills).toEqual([]);
    await h.checks.stopAll();
  });

  it('check and health check together: each update carries both fields', async () => {
    const h = harness(
      {
        health_check: { type: 'TCP', tcp: { port: 1 }, delay_seconds: 0, interval_seconds: 1, grace_period_seconds: 0 },
        check: { type: 'TCP', tcp: { port: 1 }, delay_seconds: 0, interval_seconds: 1 },
      },
      () => ({ kind: 'tcp', succeeded: true }),
    );
    h.checks.start(h.t);
    await h.clock.settle();
    expect(h.updates.map((u) => u.fields)).toEqual([
      { healthy: true, check_status: { type: 'TCP', tcp: {} } },
      { healthy: true, check_status: { type: 'TCP', tcp: { succeeded: true } } },
    ]);
    await h.checks.stopAll();
  });

  it('decorate adds the empty check status to executor updates of a task with a check, nothing else', () => {
    const h = harness({ check: { type: 'HTTP', http: { port: 1 } } }, () => ok);
    const st: TaskStatusJson = { task_id: { value: 't1' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR' };
    expect(h.checks.decorate(h.t, st)).toEqual({ ...st, check_status: { type: 'HTTP', http: {} } });
    const agentSt: TaskStatusJson = { ...st, state: 'TASK_FAILED', source: 'SOURCE_AGENT' };
    expect(h.checks.decorate(h.t, agentSt)).toBe(agentSt);
    const plain = harness({}, () => ok);
    expect(plain.checks.decorate(plain.t, st)).toBe(st);
  });

  it('an invalid definition is not run; a task without checks starts nothing', async () => {
    const h = harness({ health_check: { type: 'HTTP' } }, () => ok);
    h.checks.start(h.t);
    expect(h.checks.active(h.t)).toBe(false);
    await h.clock.advance(60_000);
    expect(h.p.calls).toEqual([]);
    expect(h.clock.pending()).toBe(0);
  });

  it('stop() before the first probe cancels everything', async () => {
    const h = harness({ health_check: hc({}) }, () => ok);
    h.checks.start(h.t);
    expect(h.checks.active(h.t)).toBe(true);
    h.checks.stop(h.t);
    await h.clock.advance(60_000);
    expect(h.p.calls).toEqual([]);
    expect(h.updates).toEqual([]);
  });
});
