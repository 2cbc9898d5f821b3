/**
 * Child-process entry of the jobs cluster bench: a simulated agent fleet (src/simulator) whose tasks reach
 * TASK_RUNNING at once and finish right after, so every wave finds its resources free again. Options come as
 * JSON in argv[2] ({master, agents}); it sends {type:'ready'} once every agent is registered and stops on
 * 'stop' or when the parent goes away.
 */
import { startAgentFleet } from '../src/simulator/index.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as { master: string; agents: number };
const fleet = await startAgentFleet({ master: opts.master, agents: opts.agents, taskBehaviour: () => 'finish', finishDelayMs: 200 });
const stop = (): void => void fleet.stop().finally(() => process.exit(0));
process.on('message', (m: unknown) => {
  if (m === 'stop') stop();
});
process.on('disconnect', stop);
fleet.ready(300_000).then(
  () => process.send?.({ type: 'ready' }),
  (e: unknown) => process.send?.({ type: 'error', message: String(e) }),
);
