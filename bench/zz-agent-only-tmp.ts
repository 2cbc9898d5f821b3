import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startAgent } from '/work/main/src/agent/index.js';
import { FakeMaster, runTask } from '/work/main/test/unit/agent/fake-master.js';
import { waitFor } from '/work/main/test/helpers/wait.js';

const N = 1000;
const master = new FakeMaster(); await master.start(); master.autoAck = true;
const workDir = mkdtempSync(join(tmpdir(), 'agbench-'));
const agent = await startAgent({ port: 0, master: master.address, work_dir: workDir, resources: 'cpus:1000;mem:100000;disk:1000' });
await waitFor(() => agent.agent.registered);
await master.stop();
for (let round = 0; round < 2; round++) {
  const t0 = performance.now();
  const kids = Array.from({ length: N }, () => spawn('sleep', ['600'], { stdio: 'ignore' }));
  await Promise.all(kids.map((c) => new Promise((r) => c.once('spawn', r))));
  const rawMs = performance.now() - t0;
  for (const c of kids) c.kill('SIGKILL');
  await new Promise((r) => globalThis.setTimeout(r, 1000));
  const t1 = performance.now();
  let spawned = 0;
  for (let i = 0; i < N; i++) agent.agent.handle(runTask(`b${round}-${i}`, { value: 'sleep 600' }));
  await waitFor(() => [...agent.agent.allTasks()].filter((t) => t.supervisorPid !== undefined).length === N * (round + 1), { timeoutMs: 120_000, intervalMs: 2 });
  const ms = performance.now() - t1;
  console.log(JSON.stringify({ rawRate: Math.round(N / rawMs * 1000), agentRate: Math.round(N / ms * 1000), pct: Math.round(rawMs / ms * 100) }));
  void spawned;
}
for (const t of agent.agent.allTasks()) { const p = await agent.agent.launcher.taskPid(t.containerId); if (p) try { process.kill(-p, 'SIGKILL'); } catch { /* */ } }
await agent.stop();
