/**
 * Containers benchmark (issue 5): one real `agora agent` against an in-process fake master (so the
 * numbers are the agent's and the containerizer's, not the allocator's).
 * (1) Launch rate: 1,000 `sleep 600` tasks from RUN_TASK to the last TASK_RUNNING, with the default
 *     isolation (cgroups + pid/mount/uts/ipc namespaces on a root host), beside raw
 *     `child_process.spawn` of 1,000 processes and the posix fallback, all in the same run
 *     (target ≥ 300/s; Mesos 1.7: ≈ 33/s).
 * (2) Memory per running task: (agent + supervisor processes) / tasks, RSS and PSS (target ≤ 2 MB).
 * (3) Destroy rate: KILL_TASK (grace 0) for all 1,000 → the last TASK_KILLED, cgroups removed.
 * (4) Agent recovery with 1,000 running tasks: kill -9 → the restarted agent's SUBSCRIBE (re-registered),
 *     and → all 1,000 re-attached (reported in /containers); then the destroy rate of recovered ones.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './harness.js';
import { killRaw, rawSpawnMs } from './raw-spawn.js';
import { round } from './harness.js';
import { cleanupAll, startAgent, type Daemon } from '../test/helpers/daemons.js';
import { getJson } from '../test/helpers/http.js';
import { cmdline, killPids, pidsUsingPath, pssKb, rssKb } from '../test/helpers/proc.js';
import { delay, waitFor } from '../test/helpers/wait.js';
import { FakeMaster, runTask } from '../test/unit/agent/fake-master.js';

const TASKS = 1000;
const DEADLINE_MS = 240_000;


const FAST = { status_update_retry_interval: '10secs', registration_backoff_factor: '50ms' };
const ids = (prefix: string): string[] => Array.from({ length: TASKS }, (_, i) => `${prefix}-${i}`);

/** Counts tasks of `list` whose update stream contains `state`; ms when all have it. */
async function allReach(m: FakeMaster, list: readonly string[], state: string, t0: number): Promise<number> {
  const want = new Set(list);
  let seen = 0;
  const reached = new Set<string>();
  let lastAt = 0;
  const deadline = performance.now() + DEADLINE_MS;
  while (reached.size < want.size && performance.now() < deadline) {
    const updates = m.updates;
    for (; seen < updates.length; seen++) {
      const s = updates[seen]?.status;
      if (s !== undefined && s.state === state && want.has(s.task_id.value) && !reached.has(s.task_id.value)) {
        reached.add(s.task_id.value);
        lastAt = performance.now();
      }
    }
    await delay(5);
  }
  if (reached.size < want.size) throw new Error(`${reached.size}/${want.size} tasks reached ${state} within ${DEADLINE_MS} ms`);
  return lastAt - t0;
}

function launch(m: FakeMaster, list: readonly string[]): number {
  const t0 = performance.now();
  for (const id of list) m.send(runTask(id, { value: 'sleep 600' }, { resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.01 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }] }));
  return t0;
}

function destroy(m: FakeMaster, list: readonly string[]): number {
  const t0 = performance.now();
  for (const id of list) m.send({ type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: id }, kill_policy: { grace_period: { nanoseconds: 0 } } } });
  return t0;
}

interface Mem {
  rssKb: number;
  pssKb: number;
  count: number;
}
const sample = (pids: readonly number[]): Mem => ({ rssKb: pids.reduce((s, p) => s + rssKb(p), 0), pssKb: pids.reduce((s, p) => s + pssKb(p), 0), count: pids.length });
const mb = (kb: number): number => round(kb / 1024, 2);

async function startOn(m: FakeMaster, workDir: string, flags: Record<string, string>): Promise<Daemon> {
  const before = m.subscribes.length;
  const agent = await startAgent({ master: m.address, workDir, resources: `cpus:${TASKS};mem:${TASKS * 64};disk:100000`, flags: { ...FAST, ...flags } });
  await waitFor(() => m.subscribes.length > before, { what: 'registration', timeoutMs: 60_000 });
  return agent;
}

/** Runs the benchmark. */
export async function run(): Promise<BenchResult> {
  const rows: Array<Record<string, string | number>> = [];
  const summary: Record<string, number | string> = {};
  const masters: FakeMaster[] = [];
  const workDirs: string[] = [];
  try {
    const raw = await rawSpawnMs(TASKS);
    await killRaw(raw.children);
    const rawRate = TASKS / (raw.ms / 1000);
    rows.push({ measure: 'raw spawn(sleep 600)', n: TASKS, ms: round(raw.ms, 0), per_s: round(rawRate, 1) });
    summary.raw_spawn_per_s = round(rawRate, 1);

    for (const mode of ['isolated', 'posix'] as const) {
      const m = new FakeMaster();
      masters.push(m);
      await m.start();
      m.autoAck = true;
      // Outside /tmp, like a production work dir (/var/lib/agora): under /tmp each launch pays one more bind mount.
      const workDir = mkdtempSync(join('/var/tmp', `agora-bench-${mode}-`));
      workDirs.push(workDir);
      const flags = mode === 'posix' ? { isolation: 'posix/cpu,posix/mem' } : {};
      let agent = await startOn(m, workDir, flags);
      const isolation = (await getJson<{ flags: Record<string, string> }>(`${agent.url}/flags`)).flags['isolation'] ?? '?';
      await delay(500);
      const idle = sample([agent.pid]);
      const list = ids(mode);

      // (1) launch.
      const t0 = launch(m, list);
      const ms = await allReach(m, list, 'TASK_RUNNING', t0);
      const rate = TASKS / (ms / 1000);
      rows.push({ measure: `${mode} launch: RUN_TASK → last TASK_RUNNING`, isolation, n: TASKS, ms: round(ms, 0), per_s: round(rate, 1) });
      summary[`${mode}_launch_per_s`] = round(rate, 1);
      summary[`${mode}_launch_vs_raw_pct`] = round((100 * rate) / rawRate, 1);

      // (2) memory per running task.
      await delay(1000);
      const procs = pidsUsingPath(workDir).filter((p) => p !== agent.pid);
      const payload = procs.filter((p) => /^(\/usr)?(\/bin\/)?sleep 600$/.test(cmdline(p)));
      const supervisors = procs.filter((p) => !payload.includes(p));
      const agentMem = sample([agent.pid]);
      const sup = sample(supervisors);
      const perRss = (agentMem.rssKb + sup.rssKb) / TASKS;
      const perPss = (agentMem.pssKb + sup.pssKb) / TASKS;
      rows.push({ measure: `${mode}: agent idle → with ${TASKS} tasks`, n: 1, rss_mb: `${mb(idle.rssKb)} → ${mb(agentMem.rssKb)}`, pss_mb: `${mb(idle.pssKb)} → ${mb(agentMem.pssKb)}` });
      rows.push({ measure: `${mode}: supervisor processes (sh + agora-init outer + pid 1)`, n: sup.count, rss_mb: mb(sup.rssKb), pss_mb: mb(sup.pssKb) });
      rows.push({ measure: `${mode}: per task (agent + supervisors) / tasks`, n: TASKS, rss_mb: mb(perRss), pss_mb: mb(perPss) });
      summary[`${mode}_mem_per_task_pss_mb`] = mb(perPss);
      summary[`${mode}_mem_per_task_rss_mb`] = mb(perRss);
      summary[`${mode}_processes_per_task`] = round(procs.length / TASKS, 2);

      // (3) destroy (containers this agent started).
      const td = destroy(m, list);
      const dms = await allReach(m, list, 'TASK_KILLED', td);
      const drate = TASKS / (dms / 1000);
      rows.push({ measure: `${mode} destroy: KILL_TASK → last TASK_KILLED`, n: TASKS, ms: round(dms, 0), per_s: round(drate, 1) });
      summary[`${mode}_destroy_per_s`] = round(drate, 1);
      if (mode === 'isolated') {
        const key = createHash('sha256').update(workDir).digest('hex').slice(0, 12);
        const dir = join('/sys/fs/cgroup/memory/agora', key);
        summary.isolated_cgroups_left_after_destroy = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).length : 0;
      }
      // (4) recovery with 1,000 running tasks: kill -9 → re-registered, → all re-attached; then destroy them.
      if (mode === 'isolated') {
        const again = ids('again');
        await allReach(m, again, 'TASK_RUNNING', launch(m, again));
        const before = m.subscribes.length;
        const tk = performance.now();
        await agent.kill('SIGKILL');
        agent = await startAgent({ master: m.address, workDir, resources: `cpus:${TASKS};mem:${TASKS * 64};disk:100000`, flags: { ...FAST, ...flags } });
        await waitFor(() => m.subscribes.length > before, { what: 're-registration', timeoutMs: 60_000, intervalMs: 5 });
        const reregMs = performance.now() - tk;
        const tasks = m.subscribes[before]?.subscribe?.tasks?.length ?? 0;
        const a = agent;
        await waitFor(async () => (await getJson<unknown[]>(`${a.url}/containers`)).length === TASKS, { what: 'all re-attached', timeoutMs: 60_000, intervalMs: 20 });
        const attachedMs = performance.now() - tk;
        const recoverySecs = (await getJson<Record<string, number>>(`${a.url}/metrics/snapshot`))['slave/recovery_time_secs'] ?? 0;
        rows.push({ measure: `recovery: kill -9 → re-registered (${tasks} tasks in SUBSCRIBE)`, n: TASKS, ms: round(reregMs, 0) });
        rows.push({ measure: 'recovery: of which checkpoint recovery (slave/recovery_time_secs)', n: TASKS, ms: round(recoverySecs * 1000, 0) });
        summary.recovery_checkpoint_ms = round(recoverySecs * 1000, 0);
        rows.push({ measure: 'recovery: kill -9 → all containers re-attached', n: TASKS, ms: round(attachedMs, 0) });
        summary.recovery_reregistered_ms = round(reregMs, 0);
        summary.recovery_all_attached_ms = round(attachedMs, 0);
        const tr = destroy(m, again);
        const rms = await allReach(m, again, 'TASK_KILLED', tr);
        rows.push({ measure: 'destroy of 1,000 recovered containers', n: TASKS, ms: round(rms, 0), per_s: round(TASKS / (rms / 1000), 1) });
        summary.isolated_destroy_recovered_per_s = round(TASKS / (rms / 1000), 1);
      }

      await agent.stop();
      await m.stop();
    }
    summary.launch_target = `≥ 300/s isolated: ${(summary['isolated_launch_per_s'] as number) >= 300 ? 'met' : 'NOT met'}`;
    summary.mem_target = `≤ 2 MB per task (PSS) isolated: ${(summary['isolated_mem_per_task_pss_mb'] as number) <= 2 ? 'met' : 'NOT met'}`;
    return { name: 'containers', rows, summary };
  } finally {
    for (const m of masters) await m.stop().catch(() => undefined);
    await cleanupAll();
    for (const d of workDirs) {
      killPids(pidsUsingPath(d));
      rmSync(d, { recursive: true, force: true });
    }
  }
}
