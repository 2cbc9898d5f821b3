// Acceptance (a): a raw scheduler gets offers from two agents, launches a shell task, an argv task and a
// failing task, sees STARTING/RUNNING then the terminal states, acks every update, and reads the shell
// task's stdout through the agent's /files/read.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { commandTask, getJson, openFramework, startCluster, subscribeCall, waitFor, type WireStatus } from '../helpers/index.js';

useCleanup();

interface AgentState {
  frameworks: Array<{ id: string; executors: Array<{ id: string; directory: string }>; completed_executors?: Array<{ id: string; directory: string }> }>;
  completed_frameworks?: Array<{ id: string; executors: Array<{ id: string; directory: string }>; completed_executors?: Array<{ id: string; directory: string }> }>;
}

function states(list: readonly WireStatus[]): string[] {
  return list.map((s) => s.state);
}

describe('acceptance (a): launch and observe tasks', () => {
  it('launches shell, argv and failing tasks over two agents and reads stdout via /files/read', async () => {
    const { master, agents, agentIds } = await startCluster({ agents: 2 });
    const sub = await openFramework(master.url, subscribeCall({ name: 'it-a' }), { autoAck: true });
    const fid = sub.frameworkId;
    expect(sub.streamId).toMatch(/^[0-9a-f-]{36}$/);

    const o1 = await sub.takeOffer((o) => o.agent_id.value === agentIds[0], { what: 'offer from agent 1' });
    const o2 = await sub.takeOffer((o) => o.agent_id.value === agentIds[1], { what: 'offer from agent 2' });

    const r1 = await sub.accept([o1.id.value], [
      commandTask({ id: 'shell', agentId: o1.agent_id.value, shell: 'echo hello-shell' }),
      commandTask({ id: 'argv', agentId: o1.agent_id.value, argv: ['/bin/echo', 'hello-argv'] }),
    ]);
    expect(r1.status).toBe(202);
    expect(r1.body).toBe('');
    const r2 = await sub.accept([o2.id.value], [commandTask({ id: 'fail', agentId: o2.agent_id.value, shell: 'exit 1' })]);
    expect(r2.status).toBe(202);

    await sub.waitUpdate('shell', 'TASK_FINISHED');
    await sub.waitUpdate('argv', 'TASK_FINISHED');
    await sub.waitUpdate('fail', 'TASK_FAILED');

    for (const [id, terminal, agentId] of [['shell', 'TASK_FINISHED', agentIds[0]], ['argv', 'TASK_FINISHED', agentIds[0]], ['fail', 'TASK_FAILED', agentIds[1]]] as const) {
      const seq = states(sub.updates(id));
      const distinct = seq.filter((s, i) => i === 0 || seq[i - 1] !== s);
      expect(distinct, `state sequence of ${id}`).toEqual(['TASK_STARTING', 'TASK_RUNNING', terminal]);
      for (const s of sub.updates(id)) {
        expect(s.uuid, `uuid on ${id} ${s.state}`).toMatch(/^[A-Za-z0-9+/]{22}(==)?$/);
        expect(s.agent_id?.value).toBe(agentId);
        expect(s.source).toBe('SOURCE_EXECUTOR');
      }
    }
    // Every update with a uuid was acknowledged and each ack got 202.
    const uuids = sub.updates().flatMap((s) => (s.uuid === undefined ? [] : [s.uuid]));
    await waitFor(() => sub.ackResults.length >= uuids.length, { what: 'all acks answered' });
    expect(sub.ackResults.filter((a) => a.status !== 202)).toEqual([]);

    // stdout through the virtual path.
    const agent1 = agents[0];
    if (agent1 === undefined) throw new Error('no agent');
    const virtual = `/frameworks/${fid}/executors/shell/runs/latest/stdout`;
    const read = await waitFor(
      async () => {
        const r = await getJson<{ offset: number; data: string }>(`${agent1.url}/files/read?path=${encodeURIComponent(virtual)}&offset=0`);
        return r.data.includes('hello-shell') ? r : undefined;
      },
      { timeoutMs: 10_000, what: `hello-shell in ${virtual}` },
    );
    expect(read.offset).toBe(0);

    // And through the executor's sandbox directory from the agent's /state.
    const state = await getJson<AgentState>(`${agent1.url}/state`);
    const allFw = [...state.frameworks, ...(state.completed_frameworks ?? [])].filter((f) => f.id === fid);
    const execs = allFw.flatMap((f) => [...f.executors, ...(f.completed_executors ?? [])]);
    const shellExec = execs.find((e) => e.id === 'shell');
    expect(shellExec, `executor 'shell' in agent /state (executors: ${execs.map((e) => e.id).join(',')})`).toBeDefined();
    const viaDir = await getJson<{ offset: number; data: string }>(`${agent1.url}/files/read?path=${encodeURIComponent(`${shellExec?.directory ?? ''}/stdout`)}&offset=0`);
    expect(viaDir.data).toContain('hello-shell');
    const argvOut = await getJson<{ offset: number; data: string }>(`${agent1.url}/files/read?path=${encodeURIComponent(`/frameworks/${fid}/executors/argv/runs/latest/stdout`)}&offset=0`);
    expect(argvOut.data).toContain('hello-argv');

    // Size probe: no offset ⇒ file size and empty data.
    const probe = await getJson<{ offset: number; data: string }>(`${agent1.url}/files/read?path=${encodeURIComponent(virtual)}`);
    expect(probe.data).toBe('');
    expect(probe.offset).toBeGreaterThanOrEqual('hello-shell\n'.length);
  });
});
