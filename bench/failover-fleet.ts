/**
 * Child-process entry of the failover bench: runs a simulated agent fleet (src/simulator) so that it does
 * not share the masters' or the bench's CPU time slice. Options come as JSON in argv[2]; it answers IPC
 * messages: 'stats' → {type:'stats', stats}, {type:'leader', url} → follow that master, 'stop' → stops
 * and exits. (The leader is followed by the bench's ZkMasterDetector and relayed here: node-zookeeper-client
 * misparses replies after its socket timed out while this busy event loop was blocked, and then crashes.) It sends {type:'ready', ms} once
 * every agent is registered.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startAgentFleet, type FleetOptions } from '../src/simulator/index.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as Pick<FleetOptions, 'master' | 'agents' | 'concurrency' | 'backoffMs' | 'zkSessionTimeoutMs'>;
const send = (m: unknown): void => {
  process.send?.(m);
};
const start = performance.now();
// The fleet's own event-loop delay: if it is large, the fleet (not the master) limits the measurement.
const loop = monitorEventLoopDelay({ resolution: 20 });
loop.enable();
const fleet = await startAgentFleet(opts);
process.on('message', (m: unknown) => {
  if (m === 'stats') send({ type: 'stats', stats: { ...fleet.stats(), loopDelayMaxMs: Math.round(loop.max / 1e6), loopDelayP99Ms: Math.round(loop.percentile(99) / 1e6) } });
  if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'leader') fleet.setMaster(String((m as { url?: unknown }).url));
  if (m === 'stop') void fleet.stop().finally(() => process.exit(0));
});
process.on('disconnect', () => void fleet.stop().finally(() => process.exit(0)));
fleet.ready(600_000).then(
  () => send({ type: 'ready', ms: performance.now() - start }),
  (e: unknown) => send({ type: 'error', message: String(e) }),
);
