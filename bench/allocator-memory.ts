/**
 * The master's memory at N agents, in-process: heap used and RSS (after a forced GC) before and after
 * registering N agents the way admission does, minus the network: each agent gets an AgentRec in
 * `Master.agents` (AgentInfo with `cpus:24;mem:4096;disk:4096;ports:[31000-32000]` and one attribute, its
 * parsed total), a registry record written to the (memory) store, and `agentAdded` in the allocator; then
 * M frameworks are added to the allocator and one allocation cycle runs, so the books hold N outstanding
 * offers. Not included: event streams, sockets, ping timers (one per connected agent in production) and
 * the OfferRec/JSON of the offers (the cycle's batches are dropped).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FakeClock } from '../src/core/clock.js';
import { asAgentId, asFrameworkId } from '../src/core/ids.js';
import { silentLogger } from '../src/core/log.js';
import { parseResources } from '../src/core/resources.js';
import { resolveFlags } from '../src/core/flags.js';
import { SeededRng } from '../src/core/rng.js';
import { MemoryStore } from '../src/coordination/index.js';
import type { ResourceJson } from '../src/api/mesos/common.js';
import { MASTER_FLAGS, buildMaster } from '../src/master/index.js';
import type { AgentRec } from '../src/master/types.js';

function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const MiB = 2 ** 20;

/** Heap and RSS growth (MiB) for `agents` agents and `frameworks` frameworks; see the module comment. */
export async function masterMemory(agents: number, frameworks: number): Promise<Record<string, string | number>> {
  const gc = gcFunction();
  const clock = new FakeClock();
  const flags = resolveFlags(MASTER_FLAGS, { work_dir: '/nonexistent' }, {});
  const built = await buildMaster(flags, 5050, { clock, logger: silentLogger(), store: new MemoryStore(), rng: new SeededRng(1) });
  const m = built.master;
  const total = parseResources('cpus:24;mem:4096;disk:4096;ports:[31000-32000]');
  const wire = total.toWire('post', false) as ResourceJson[];
  gc();
  const before = process.memoryUsage();
  for (let i = 0; i < agents; i++) {
    const id = asAgentId(`${m.masterId}-S${i}`);
    const info = { hostname: `host-${i}.example`, port: 5051, resources: wire, attributes: [{ name: 'rack', type: 'TEXT', text: { value: `r${i % 40}` } }], id: { value: id } };
    const rec: AgentRec = {
      id,
      info: info as AgentRec['info'],
      total: parseResources('cpus:24;mem:4096;disk:4096;ports:[31000-32000]'),
      ip: `10.0.${Math.floor(i / 250)}.${i % 250}`,
      port: 5051,
      state: 'registered',
      registeredTime: clock.now(),
      capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'],
      version: '1.12.0',
      missedPings: 0,
      pongSincePing: true,
    };
    m.agents.set(id, rec);
    m.agentSubscriptions.set(id, `stream-${i}`);
    await m.registry.putAgent({ id, info: rec.info, registered_time: rec.registeredTime, state: 'admitted', checkpointed_resources: wire });
    m.allocator.apply({ type: 'agentAdded', agentId: id, hostname: info.hostname, total: rec.total, used: new Map() }, clock.now());
  }
  gc();
  const afterAgents = process.memoryUsage();
  for (let f = 0; f < frameworks; f++) {
    m.allocator.apply(
      {
        type: 'frameworkAdded',
        frameworkId: asFrameworkId(`fw-${f}`),
        roles: [`role-${f % 10}`],
        suppressedRoles: [],
        capabilities: { gpuResources: false, multiRole: true, revocable: false },
        active: true,
        used: new Map(),
      },
      clock.now(),
    );
  }
  const offers = m.allocator.cycle(clock.now()).length;
  gc();
  const after = process.memoryUsage();
  await m.stop();
  await built.app.close();
  return {
    agents,
    frameworks,
    'outstanding offers': offers,
    'heap MiB (agents)': Math.round(((afterAgents.heapUsed - before.heapUsed) / MiB) * 10) / 10,
    'heap MiB (+ frameworks, offers)': Math.round(((after.heapUsed - before.heapUsed) / MiB) * 10) / 10,
    'heap KiB per agent': Math.round(((after.heapUsed - before.heapUsed) / agents / 1024) * 100) / 100,
    'RSS MiB growth': Math.round(((after.rss - before.rss) / MiB) * 10) / 10,
    'RSS MiB total': Math.round((after.rss / MiB) * 10) / 10,
  };
}
