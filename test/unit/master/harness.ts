/**
 * Test harness for the master: a real Fastify server on 127.0.0.1:0 driven by a FakeClock, a memory
 * (or given) store, scheduler and agent stream clients that record events, and small waiting helpers.
 */
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { SeededRng } from '../../../src/core/rng.js';
import { resolveFlags } from '../../../src/core/flags.js';
import { MemoryStore, type Store } from '../../../src/coordination/index.js';
import { buildMaster, MASTER_FLAGS, type BuiltMaster } from '../../../src/master/index.js';
import { RecordIoDecoder } from '../../../src/transport/recordio.js';
import { streamDispatcher } from '../../../src/transport/stream-client.js';
import { callDispatcher } from '../../../src/transport/http-client.js';

export interface Harness extends BuiltMaster {
  readonly clock: FakeClock;
  readonly url: string;
  close(): Promise<void>;
}

export async function startHarness(explicit: Record<string, string> = {}, store: Store = new MemoryStore()): Promise<Harness> {
  const clock = new FakeClock();
  const flags = resolveFlags(MASTER_FLAGS, { work_dir: '/nonexistent', ...explicit }, {});
  const built = await buildMaster(flags, 5050, { clock, logger: silentLogger(), store, rng: new SeededRng(7) });
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (built.app.server.address() as AddressInfo).port;
  built.master.start();
  return {
    ...built,
    clock,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await built.master.stop();
      await built.app.close();
    },
  };
}

/** Polls (real time) until fn returns a value other than undefined/false. */
export async function waitFor<T>(fn: () => T | undefined | false, what = 'condition', timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface Event {
  type: string;
  [k: string]: unknown;
}

/** A recording stream client (scheduler or agent). */
export class StreamClient {
  readonly events: Event[] = [];
  /** Raw chunks as received, to check the one-record-per-chunk framing. */
  readonly chunks: string[] = [];
  streamId = '';
  status = 0;
  headers: Record<string, string | string[] | undefined> = {};
  ended = false;
  private readonly abort = new AbortController();

  static async open(url: string, body: unknown, headers: Record<string, string> = {}): Promise<StreamClient> {
    const c = new StreamClient();
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      dispatcher: streamDispatcher,
      signal: c.abort.signal,
    });
    c.status = res.statusCode;
    c.headers = res.headers;
    const sid = res.headers['mesos-stream-id'] ?? res.headers['agora-stream-id'];
    c.streamId = typeof sid === 'string' ? sid : '';
    const decoder = new RecordIoDecoder();
    void (async () => {
      try {
        for await (const chunk of res.body) {
          c.chunks.push((chunk as Buffer).toString('utf8'));
          for (const p of decoder.push(chunk as Buffer)) c.events.push(JSON.parse(p) as Event);
        }
      } catch {
        // aborted
      }
      c.ended = true;
    })();
    return c;
  }

  of(type: string): Event[] {
    return this.events.filter((e) => e.type === type);
  }

  async next(type: string, count = 1): Promise<Event> {
    return waitFor(() => {
      const list = this.of(type);
      return list.length >= count ? list[count - 1] : undefined;
    }, `${count} ${type} event(s)`);
  }

  close(): void {
    this.abort.abort();
  }
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    dispatcher: callDispatcher,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

export function frameworkInfo(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { user: 'alice', name: 'test', ...extra };
}

/** A subscribed scheduler with helpers for calls on its stream. */
export class Scheduler {
  constructor(
    readonly h: Harness,
    readonly stream: StreamClient,
    readonly frameworkId: string,
  ) {}

  static async subscribe(h: Harness, info: Record<string, unknown> = frameworkInfo(), extra: Record<string, unknown> = {}): Promise<Scheduler> {
    const id = info['id'] as { value: string } | undefined;
    const body = { type: 'SUBSCRIBE', ...(id !== undefined ? { framework_id: id } : {}), subscribe: { framework_info: info, ...extra } };
    const s = await StreamClient.open(`${h.url}/api/v1/scheduler`, body);
    const ev = await s.next('SUBSCRIBED');
    const fid = (ev['subscribed'] as { framework_id: { value: string } }).framework_id.value;
    return new Scheduler(h, s, fid);
  }

  call(type: string, fields: Record<string, unknown> = {}): Promise<{ status: number; body: string }> {
    return post(`${this.h.url}/api/v1/scheduler`, { framework_id: { value: this.frameworkId }, type, ...fields }, { 'mesos-stream-id': this.stream.streamId });
  }

  offers(): { id: { value: string }; agent_id: { value: string }; resources: unknown[]; [k: string]: unknown }[] {
    return this.stream.of('OFFERS').flatMap((e) => (e['offers'] as { offers: never[] }).offers);
  }

  updates(): { task_id: { value: string }; state: string; reason?: string; message?: string; uuid?: string; [k: string]: unknown }[] {
    return this.stream.of('UPDATE').map((e) => (e['update'] as { status: never }).status);
  }
}

/** A fake agent speaking our agent protocol. */
const agentsSubscribed = new WeakMap<Harness, number>();

export class FakeAgent {
  constructor(
    readonly h: Harness,
    readonly stream: StreamClient,
    readonly agentId: string,
  ) {}

  static async subscribe(h: Harness, opts: { agentId?: string; resources?: string; tasks?: unknown[]; frameworks?: unknown[]; hostname?: string; port?: number; checkpointed?: unknown[] } = {}): Promise<FakeAgent> {
    // Every fake agent of a harness has its own address (5051, 5052, …): a new agent id at a known address replaces that agent.
    const fresh = opts.agentId === undefined && opts.port === undefined;
    const n = fresh ? (agentsSubscribed.get(h) ?? 0) : 0;
    if (fresh) agentsSubscribed.set(h, n + 1);
    const port = opts.port ?? 5051 + n;
    const resources = [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 4 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 4096 } },
      { name: 'disk', type: 'SCALAR', scalar: { value: 10000 } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] } },
    ];
    const body = {
      type: 'SUBSCRIBE',
      ...(opts.agentId !== undefined ? { agent_id: { value: opts.agentId } } : {}),
      subscribe: {
        version: 1,
        agent_info: { hostname: opts.hostname ?? '127.0.0.1', port, resources, attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }] },
        capabilities: [],
        ...(opts.checkpointed !== undefined ? { checkpointed_resources: opts.checkpointed } : {}),
        frameworks: opts.frameworks ?? [],
        tasks: opts.tasks ?? [],
      },
    };
    const s = await StreamClient.open(`${h.url}/agora/api/v1/agent`, body);
    const ev = await s.next('REGISTERED');
    const id = (ev['registered'] as { agent_id: { value: string } }).agent_id.value;
    return new FakeAgent(h, s, id);
  }

  call(type: string, fields: Record<string, unknown> = {}): Promise<{ status: number; body: string }> {
    return post(`${this.h.url}/agora/api/v1/agent`, { type, agent_id: { value: this.agentId }, ...fields }, { 'agora-stream-id': this.stream.streamId });
  }

  runTasks(): { framework: { id: { value: string } }; task: { task_id: { value: string }; resources: unknown[] } }[] {
    return this.stream.of('RUN_TASK').map((e) => e['run_task'] as never);
  }

  status(frameworkId: string, taskId: string, state: string, uuid?: string): Promise<{ status: number; body: string }> {
    return this.call('STATUS_UPDATE', {
      status_update: {
        framework_id: { value: frameworkId },
        status: { task_id: { value: taskId }, state, source: 'SOURCE_EXECUTOR', ...(uuid !== undefined ? { uuid } : {}) },
        latest_state: state,
      },
    });
  }
}

/** A LAUNCH of one command task on the given offer. */
export function launch(offer: { id: { value: string }; agent_id: { value: string } }, taskId: string, resources: unknown[] = cpusMem(1, 128)): Record<string, unknown> {
  return {
    accept: {
      offer_ids: [offer.id],
      operations: [{ type: 'LAUNCH', launch: { task_infos: [{ name: taskId, task_id: { value: taskId }, agent_id: offer.agent_id, resources, command: { value: 'sleep 100' } }] } }],
    },
  };
}

export function cpusMem(cpus: number, mem: number): unknown[] {
  return [
    { name: 'cpus', type: 'SCALAR', scalar: { value: cpus } },
    { name: 'mem', type: 'SCALAR', scalar: { value: mem } },
  ];
}
