import { startMaster, cleanupAll, tempDir } from '../test/helpers/daemons.js';
import { startAgent } from '../src/agent/index.js';
import { commandTask, offered, subscribeCall } from '../test/helpers/mesos.js';
import { openFramework } from '../test/helpers/scheduler-client.js';
import { delay, waitFor } from '../test/helpers/wait.js';
const TASKS = 1000;
const master = await startMaster({ flags: { allocation_interval: '100ms' } });
const agent = await startAgent({ port: 0, master: master.hostPort, work_dir: tempDir('agora-agent-'), resources: `cpus:${TASKS};mem:${TASKS * 1000};disk:100000` });
const sub = await openFramework(master.url, subscribeCall({ name: 'bench-launch' }), { autoAck: true });
await waitFor(() => sub.offers.length > 0, { timeoutMs: 30_000, what: 'first offer' });
const o = sub.outstanding()[0]!;
sub.markUsed([o.id.value]);
const tasks = Array.from({ length: TASKS }, (_, i) => commandTask({ id: `bench-${i}`, agentId: o.agent_id.value, shell: 'sleep 600', cpus: 0.01, mem: 1 }));
void offered;
const t0 = Date.now();
await sub.accept([o.id.value], tasks, { refuse_seconds: 0 });
const times: Record<string, number> = {};
await waitFor(() => {
  for (let i = 0; i < sub.events.length; i++) {
    const e = sub.events[i];
    const s = e?.update?.status;
    if (s && times[s.state] === undefined && sub.events.filter((x) => x?.update?.status?.state === s.state).length >= TASKS) times[s.state] = (sub.eventTimes[i] ?? 0) - t0;
  }
  return times['TASK_RUNNING'] !== undefined;
}, { timeoutMs: 120_000, intervalMs: 50 });
console.log('ms to all', JSON.stringify(times), 'last', Math.max(...sub.eventTimes) - t0);
sub.close();
const tids = [...agent.agent.allTasks()];
for (const t of tids) { const p = await agent.agent.launcher.taskPid(t.containerId); if (p) try { process.kill(-p, 'SIGKILL'); } catch { /* */ } }
await agent.stop();
await master.stop(20000);
await delay(500);
await cleanupAll();
