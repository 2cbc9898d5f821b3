// Dynamic reservations and persistent volumes through real daemons: RESERVE + CREATE + LAUNCH in one
// ACCEPT, the task writes into its volume, the reservation is offered back to the role, and it survives
// an agent restart (checkpointed on the agent, reported on re-registration) and a master restart.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { FAST_AGENT_FLAGS, FAST_MASTER_FLAGS, SMALL_RESOURCES, startMaster, commandTask, getJson, openFramework, startAgent, startCluster, subscribeCall, waitFor, type WireOffer } from '../helpers/index.js';

useCleanup();

interface SlaveState {
  id: string;
  reserved_resources: Record<string, { cpus: number; disk: number }>;
}

const reserved = (name: string, value: number): Record<string, unknown> => ({ name, type: 'SCALAR', scalar: { value }, role: 'dev', reservation: {} });
const volume = { ...reserved('disk', 50), disk: { persistence: { id: 'v1' }, volume: { container_path: 'data', mode: 'RW' } } };
const reservedIn = (o: WireOffer, name: string): number =>
  o.resources.filter((r) => r.name === name && (r as { role?: string }).role === 'dev').reduce((s, r) => s + (r.scalar?.value ?? 0), 0);

describe('dynamic reservations and persistent volumes', () => {
  it('reserves through ACCEPT, offers the reservation back, keeps it across agent and master restarts', async () => {
    const { master, agents, agentIds } = await startCluster({ agents: 1 });
    const agent = agents[0];
    const agentId = agentIds[0] ?? '';
    if (agent === undefined) throw new Error('no agent');
    const sub = await openFramework(master.url, subscribeCall({ name: 'it-k', role: 'dev', checkpoint: true }), { autoAck: true });
    const offer = await sub.takeOffer();
    const task = commandTask({ id: 'writer', agentId, shell: 'echo hello > data/f' });
    task['resources'] = [reserved('cpus', 0.5), { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }, volume];
    const accept = {
      offer_ids: [offer.id],
      operations: [
        { type: 'RESERVE', reserve: { resources: [reserved('cpus', 1), reserved('disk', 100)] } },
        { type: 'CREATE', create: { volumes: [volume] } },
        { type: 'LAUNCH', launch: { task_infos: [task] } },
      ],
      filters: { refuse_seconds: 0 },
    };
    expect((await sub.call({ framework_id: { value: sub.frameworkId }, type: 'ACCEPT', accept })).status).toBe(202);
    await sub.waitUpdate('writer', 'TASK_FINISHED');
    const file = join(agent.workDir, 'volumes', 'roles', 'dev', 'v1', 'f');
    expect(readFileSync(file, 'utf8')).toBe('hello\n');

    // Offers made while the task ran hold part of the reservation: hand back every offer until one has all of it.
    const offerWith = (pred: (o: WireOffer) => boolean, what: string): Promise<WireOffer> =>
      waitFor(
        async () => {
          for (const o of sub.outstanding()) {
            sub.markUsed([o.id.value]);
            if (pred(o)) return o;
            await sub.decline([o.id.value], 0);
          }
          return undefined;
        },
        { timeoutMs: 15_000, what },
      );
    const again = await offerWith((o) => reservedIn(o, 'cpus') === 1, 'an offer with the reservation');
    expect(reservedIn(again, 'disk')).toBe(100);
    expect(again.resources.some((r) => (r as { disk?: unknown }).disk !== undefined)).toBe(true);
    await sub.decline([again.id.value], 0);

    await agent.stop();
    expect(existsSync(join(agent.workDir, 'meta', 'resources', 'resources.json'))).toBe(true);
    const restarted = await startAgent({ master, workDir: agent.workDir, port: agent.port, resources: SMALL_RESOURCES, flags: FAST_AGENT_FLAGS, name: 'agent-restarted' });
    const after = await waitFor(
      async () => {
        const s = await getJson<{ slaves: SlaveState[] }>(`${master.url}/master/slaves`);
        return s.slaves.find((x) => x.id === agentId && x.reserved_resources['dev'] !== undefined);
      },
      { timeoutMs: 20_000, what: 'agent re-registered with its reservation' },
    );
    expect(after.reserved_resources['dev']).toMatchObject({ cpus: 1, disk: 100 });
    const agentState = await getJson<{ reserved_resources: Record<string, { cpus: number }> }>(`${restarted.url}/state`);
    expect(agentState.reserved_resources['dev']?.cpus).toBe(1);
    const third = await offerWith((o) => reservedIn(o, 'cpus') === 1, 'reservation offered after the restart');
    expect(third.agent_id.value).toBe(agentId);

    // A master restart: the registry and the agent's re-registration both carry the reservation.
    sub.close();
    await master.kill('SIGKILL');
    const m2 = await startMaster({ workDir: master.workDir, port: master.port, flags: FAST_MASTER_FLAGS, name: 'master-restarted' });
    const recovered = await waitFor(
      async () => {
        const s = await getJson<{ slaves: SlaveState[] }>(`${m2.url}/master/slaves`);
        return s.slaves.find((x) => x.id === agentId && x.reserved_resources['dev'] !== undefined);
      },
      { timeoutMs: 20_000, what: 'agent re-registered with the new master' },
    );
    expect(recovered.reserved_resources['dev']).toMatchObject({ cpus: 1, disk: 100 });
  }, 30_000);
});
