/**
 * Launch benchmark on real daemons: a master and one agent as child processes and a raw-HTTP scheduler.
 * (1) Launch throughput: tasks/s from the first ACCEPT to the last TASK_RUNNING for 1,000 `sleep 600`
 *     tasks, beside the raw `child_process.spawn('sleep', ['600'])` rate for 1,000 processes measured in
 *     the same run (target ≥ 70 % of raw).
 * (2) Supervision memory per running task: (agent RSS + RSS of the per-task processes the agent started,
 *     excluding the `sleep` itself) / tasks, from /proc VmRSS and smaps_rollup PSS (target ≤ 2 MB).
 * Everything it started is killed at the end.
 */
import type { BenchResult } from './harness.js';
import { killRaw, rawSpawnMs } from './raw-spawn.js';
import { round } from './harness.js';
import { cleanupAll, startAgent, startMaster } from '../test/helpers/daemons.js';
import { commandTask, offered, subscribeCall } from '../test/helpers/mesos.js';
import { cmdline, descendants, killPids, pidsUsingPath, pssKb, rssKb, stat } from '../test/helpers/proc.js';
import { openFramework, type Subscription } from '../test/helpers/scheduler-client.js';
import { delay, waitFor } from '../test/helpers/wait.js';

const TASKS = 1000;
const TASK_CPUS = 0.01;
const TASK_MEM = 1;
const RUNNING_DEADLINE_MS = 240_000;


/** Launches TASKS tasks from offers as they arrive; returns the first-ACCEPT and last-RUNNING times. */
async function launchAll(sub: Subscription): Promise<{ firstAcceptAt: number; lastRunningAt: number; lastStartingAt: number; accepts: number; running: number }> {
  let next = 0;
  let accepts = 0;
  let firstAcceptAt = 0;
  const running = new Set<string>();
  let lastRunningAt = 0;
  const starting = new Set<string>();
  let lastStartingAt = 0;
  let seen = 0;
  const deadline = Date.now() + RUNNING_DEADLINE_MS;
  while (running.size < TASKS && Date.now() < deadline) {
    // Fold in new RUNNING updates.
    for (; seen < sub.events.length; seen++) {
      const e = sub.events[seen];
      const s = e?.update?.status;
      if (e?.type === 'UPDATE' && s?.state === 'TASK_STARTING' && !starting.has(s.task_id.value)) {
        starting.add(s.task_id.value);
        lastStartingAt = sub.eventTimes[seen] ?? Date.now();
      }
      if (e?.type === 'UPDATE' && s?.state === 'TASK_RUNNING' && !running.has(s.task_id.value)) {
        running.add(s.task_id.value);
        lastRunningAt = sub.eventTimes[seen] ?? Date.now();
      }
    }
    if (next < TASKS) {
      const o = sub.outstanding()[0];
      if (o !== undefined) {
        sub.markUsed([o.id.value]);
        const fit = Math.min(TASKS - next, Math.floor(offered(o, 'cpus') / TASK_CPUS + 1e-9), Math.floor(offered(o, 'mem') / TASK_MEM));
        const tasks = Array.from({ length: fit }, () => commandTask({ id: `bench-${next++}`, agentId: o.agent_id.value, shell: 'sleep 600', cpus: TASK_CPUS, mem: TASK_MEM }));
        if (firstAcceptAt === 0) firstAcceptAt = Date.now();
        accepts++;
        const res = await sub.accept([o.id.value], tasks, { refuse_seconds: 0 });
        if (res.status !== 202) throw new Error(`ACCEPT answered ${res.status}: ${res.body}`);
        continue;
      }
    }
    await delay(5);
  }
  return { firstAcceptAt, lastRunningAt, lastStartingAt, accepts, running: running.size };
}

interface MemSample {
  readonly rssKb: number;
  readonly pssKb: number;
  readonly count: number;
}

function sample(pids: readonly number[]): MemSample {
  return { rssKb: pids.reduce((s, p) => s + rssKb(p), 0), pssKb: pids.reduce((s, p) => s + pssKb(p), 0), count: pids.length };
}

const mb = (kb: number): number => round(kb / 1024, 2);

/** Runs the benchmark. */
export async function run(): Promise<BenchResult> {
  const rows: Array<Record<string, string | number>> = [];
  const summary: Record<string, number | string> = {};
  try {
    // (1a) raw spawn rate.
    const raw = await rawSpawnMs(TASKS);
    const rawSleepMem = sample(raw.children.slice(0, 50).map((c) => c.pid ?? -1));
    await killRaw(raw.children);
    const rawRate = TASKS / (raw.ms / 1000);
    rows.push({ measure: 'raw spawn(sleep 600)', n: TASKS, ms: round(raw.ms, 0), per_s: round(rawRate, 1) });

    // (1b) through the cluster.
    const master = await startMaster({ flags: { allocation_interval: '100ms' } });
    const agent = await startAgent({ master, resources: `cpus:${TASKS};mem:${TASKS * 1000};disk:100000`, flags: { status_update_retry_interval: '10secs' } });
    await delay(500);
    const idleAgent = sample([agent.pid, ...descendants(agent.pid)]);
    const sub = await openFramework(master.url, subscribeCall({ name: 'bench-launch' }), { autoAck: true });
    await waitFor(() => sub.offers.length > 0, { timeoutMs: 30_000, what: 'first offer' });
    const r = await launchAll(sub);
    const ms = r.lastRunningAt - r.firstAcceptAt;
    const rate = r.running / (ms / 1000);
    rows.push({ measure: `agora launch: first ACCEPT → last TASK_RUNNING (${r.accepts} ACCEPTs)`, n: r.running, ms: round(ms, 0), per_s: round(rate, 1) });
    const msStarting = r.lastStartingAt - r.firstAcceptAt;
    rows.push({ measure: 'agora launch: first ACCEPT → last TASK_STARTING', n: r.running, ms: round(msStarting, 0), per_s: round(r.running / (msStarting / 1000), 1) });
    summary.raw_spawn_per_s = round(rawRate, 1);
    summary.launch_tasks_per_s = round(rate, 1);
    summary.launch_vs_raw_pct = round((100 * rate) / rawRate, 1);
    summary.launch_target = `≥ 70 % of raw: ${(100 * rate) / rawRate >= 70 && r.running === TASKS ? 'met' : 'NOT met'}`;
    if (r.running < TASKS) summary.launch_incomplete = `${r.running}/${TASKS} running after ${RUNNING_DEADLINE_MS / 1000} s`;

    // (2) memory per running task.
    await delay(1000);
    const taskPids = pidsUsingPath(agent.workDir).filter((p) => p !== agent.pid);
    const payload = new Set(taskPids.filter((p) => /^(\/bin\/)?sleep 600$|^(\/bin\/)?sh -c sleep 600$/.test(cmdline(p))));
    // Per-task processes may be re-parented: take the agent's descendants, every process of a task's process
    // group, and everything whose cwd/argv/env mentions the agent's work dir.
    const groups = new Set([...payload].map((p) => stat(p)?.pgid ?? -1));
    const inGroups = groups.size === 0 ? [] : descendants(1).filter((p) => groups.has(stat(p)?.pgid ?? -2));
    const all = new Set([...descendants(agent.pid), ...taskPids, ...inGroups]);
    all.delete(agent.pid);
    const supervisors = [...all].filter((p) => !payload.has(p) && !/^(\/bin\/)?sleep 600$/.test(cmdline(p)) && !/^(\/bin\/)?sh -c sleep 600$/.test(cmdline(p)));
    const payloadPids = [...all].filter((p) => !supervisors.includes(p));
    const agentMem = sample([agent.pid]);
    const supMem = sample(supervisors);
    const payloadMem = sample(payloadPids);
    const n = Math.max(1, r.running);
    rows.push({ measure: 'agent process (idle, before tasks)', n: 1, rss_mb: mb(idleAgent.rssKb), pss_mb: mb(idleAgent.pssKb) });
    rows.push({ measure: 'agent process (with tasks)', n: 1, rss_mb: mb(agentMem.rssKb), pss_mb: mb(agentMem.pssKb) });
    rows.push({ measure: 'per-task supervisor processes', n: supMem.count, rss_mb: mb(supMem.rssKb), pss_mb: mb(supMem.pssKb) });
    rows.push({ measure: 'task payload (sleep / sh)', n: payloadMem.count, rss_mb: mb(payloadMem.rssKb), pss_mb: mb(payloadMem.pssKb) });
    rows.push({ measure: 'raw sleep (sample of 50)', n: rawSleepMem.count, rss_mb: mb(rawSleepMem.rssKb), pss_mb: mb(rawSleepMem.pssKb) });
    const perTaskRss = (agentMem.rssKb + supMem.rssKb) / n;
    const perTaskPss = (agentMem.pssKb + supMem.pssKb) / n;
    rows.push({ measure: 'per task: (agent + supervisors) / tasks', n, rss_mb: mb(perTaskRss), pss_mb: mb(perTaskPss) });
    rows.push({ measure: 'per task incl. sleep', n, rss_mb: mb(perTaskRss + payloadMem.rssKb / n), pss_mb: mb(perTaskPss + payloadMem.pssKb / n) });
    rows.push({ measure: 'per task incremental: (agent growth + supervisors) / tasks', n, rss_mb: mb((agentMem.rssKb - idleAgent.rssKb + supMem.rssKb) / n), pss_mb: mb((agentMem.pssKb - idleAgent.pssKb + supMem.pssKb) / n) });
    summary.mem_per_task_rss_mb = mb(perTaskRss);
    summary.mem_per_task_pss_mb = mb(perTaskPss);
    summary.mem_per_task_incl_sleep_pss_mb = mb(perTaskPss + payloadMem.pssKb / n);
    summary.supervisor_processes = supMem.count;
    summary.supervisor_example = cmdline(supervisors[0] ?? -1).replace(/\s+/g, ' ').slice(0, 80);
    summary.mem_target = `≤ 2 MB per task (PSS): ${perTaskPss / 1024 <= 2 ? 'met' : 'NOT met'}; (RSS): ${perTaskRss / 1024 <= 2 ? 'met' : 'NOT met'}`;
    sub.close();
    // A clean stop (not the clean-up's SIGKILL) lets `AGORA_NODE_ARGS=--cpu-prof` write the daemons' profiles.
    await agent.stop();
    await master.stop();
    return { name: 'launch', rows, summary };
  } finally {
    const strays = await cleanupAll();
    // Stray `sleep 600` that escaped every group (should not happen): kill by command line as a last resort
    // only if they are our own raw children's leftovers — those were already killed above.
    if (strays.length > 0) killPids(strays);
  }
}
