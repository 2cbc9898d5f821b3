import { SchedulerClient, taskResourcesFromOffer } from '../../../src/scheduler/index.js';
import { parseResources } from '../../../src/core/resources.js';
export async function demo(): Promise<void> {
const client = new SchedulerClient({ master: '127.0.0.1:5050' });   // clock, rng, logger, backoff optional
const want = parseResources('cpus:0.5;mem:64');
let launched = false;

await client.subscribe({ user: 'me', name: 'demo', role: '*', failover_timeout: 3600 }, {
  onOffers: async (offers) => {
    for (const offer of offers) {
      const resources = launched ? undefined : taskResourcesFromOffer(offer, want, '*');
      if (resources === undefined) { await client.decline([offer.id.value]); continue; }
      launched = true;
      await client.launch([offer.id.value], [{
        name: 'demo', task_id: { value: 'demo-1' }, agent_id: offer.agent_id, resources,
        command: { shell: true, value: 'echo hello' },
      }]);
    }
  },
  onUpdate: async (status) => {
    console.log(status.task_id.value, status.state);
    await client.acknowledgeUpdate(status);            // only sends an ACK when the update has a uuid
  },
  onError: (message) => console.error('framework removed:', message),
});
}
