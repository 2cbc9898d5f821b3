/**
 * The real-cluster variant of the jobs lateness bench (`npm run bench -- jobs`): a real `agora master` (child
 * process), a simulated agent fleet (child process, bench/fleet-child.ts: tasks run at once, finish 200 ms
 * later) and `agora jobs` in this process (startJobs: the production wiring, SQLite store). `jobs` Chronos
 * jobs `R1/<t>/PT1H` are due at the same instant t; per task, lateness = the agent's TASK_RUNNING timestamp
 * − t (when the task started) and, second, when the framework received that TASK_RUNNING − t.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskStatusJson } from '../src/api/mesos/common.js';
import { silentLogger } from '../src/core/log.js';
import { parseJobBody } from '../src/jobs/api/job-input.js';
import { DEFAULT_JOB_DEFAULTS } from '../src/jobs/api/job-schema.js';
import { startJobs } from '../src/jobs/index.js';
import { cleanupAll, startMaster } from '../test/helpers/daemons.js';
import { startFleetChild } from './fleet-child.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** `waves` waves of `jobs` jobs due at one instant each, on `agents` simulated agents (4 cpus, 8 GB each). */
export async function clusterLateness(jobs: number, waves: number, agents: number): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'agora-bench-jobs-cluster-'));
  const master = await startMaster({ name: 'bench-jobs-master', healthTimeoutMs: 60_000 });
  // Tasks run at once and finish 200 ms later, so every wave finds its resources free again.
  const fleet = startFleetChild({ master: master.hostPort, agents, behaviour: 'finish', finishDelayMs: 200 });
  await fleet.ready;
  const running = await startJobs({ master: master.hostPort, work_dir: dir, port: 0, ip: '127.0.0.1' }, { logger: silentLogger() });
  const { engine } = running;
  const agentAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  const onUpdate = engine.onUpdate.bind(engine);
  engine.onUpdate = (s: TaskStatusJson): Promise<void> => {
    if (s.state === 'TASK_RUNNING' && !seenAt.has(s.task_id.value)) {
      seenAt.set(s.task_id.value, Date.now());
      if (s.timestamp !== undefined) agentAt.set(s.task_id.value, Math.round(s.timestamp * 1000));
    }
    return onUpdate(s);
  };
  try {
    const deadline = Date.now() + 60_000;
    while (engine.reconcilingCount > 0 && Date.now() < deadline) await sleep(100);
    const late: number[] = [];
    const seen: number[] = [];
    const perWave: string[] = [];
    let perJobMs = 5;
    for (let w = 0; w < waves; w++) {
      const ahead = 3_000 + 3 * perJobMs * jobs;
      const due = Math.ceil((Date.now() + ahead) / 1000) * 1000;
      const start = Date.now();
      for (let i = 0; i < jobs; i++) await engine.putJob(parseJobBody(JSON.stringify({ name: `w${w}-${i}`, command: 'true', cpus: 0.01, mem: 32, disk: 1, schedule: `R1/${new Date(due).toISOString()}/PT1H` }), 'scheduled', DEFAULT_JOB_DEFAULTS, Date.now()));
      perJobMs = Math.max(perJobMs, (Date.now() - start) / jobs);
      const ids = (m: Map<string, number>): number[] => [...m].filter(([id]) => id.startsWith(`ct:${due}:`)).map(([, at]) => at - due);
      const end = due + 120_000;
      while (ids(seenAt).length < jobs && Date.now() < end) await sleep(100);
      const a = ids(agentAt);
      late.push(...a);
      seen.push(...ids(seenAt));
      perWave.push(`${a.length > 0 ? Math.max(...a) : NaN}`);
      await sleep(3_000);
    }
    late.sort((x, y) => x - y);
    seen.sort((x, y) => x - y);
    return {
      scenario: `${jobs.toLocaleString('en')} jobs due at once × ${waves}, real master + ${agents} simulated agents`,
      launched: late.length,
      'p50 ms': pct(late, 50),
      'p99 ms': pct(late, 99),
      'max ms': late.at(-1) ?? NaN,
      'per-wave max ms': perWave.join(' / '),
      'framework saw RUNNING p50/p99/max ms': `${pct(seen, 50)} / ${pct(seen, 99)} / ${seen.at(-1) ?? NaN}`,
    };
  } finally {
    await running.stop();
    await fleet.stop();
    await cleanupAll();
    rmSync(dir, { recursive: true, force: true });
  }
}
