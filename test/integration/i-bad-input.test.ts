// Acceptance (i): bad input to the scheduler endpoint gets upstream's status codes and a message naming the
// problem, and leaves the master's state unchanged.
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { FAST_MASTER_FLAGS, getJson, openFramework, rawRequest, startMaster, subscribeCall, type Daemon } from '../helpers/index.js';

useCleanup({ perTest: false });

interface Case {
  readonly name: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly status: number;
  readonly message: RegExp;
}

const JSON_CT = { 'Content-Type': 'application/json' };
const sub = (info: Record<string, unknown>): string => JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: info } });

const CASES: readonly Case[] = [
  { name: 'malformed JSON', headers: JSON_CT, body: '{"type":"SUBSCRIBE",', status: 400, message: /JSON/i },
  { name: 'not an object', headers: JSON_CT, body: '[1,2,3]', status: 400, message: /JSON|object|Call/i },
  { name: 'enum given as a number', headers: JSON_CT, body: '{"type":1}', status: 400, message: /type/i },
  { name: 'string field given an object', headers: JSON_CT, body: sub({ user: { x: 1 }, name: 'x' }), status: 400, message: /user/i },
  { name: 'array for a non-repeated field', headers: JSON_CT, body: sub({ user: 'u', name: ['a', 'b'] }), status: 400, message: /name/i },
  { name: 'missing type', headers: JSON_CT, body: '{}', status: 400, message: /Expecting 'type' to be present/ },
  { name: 'unknown call type', headers: JSON_CT, body: '{"type":"FROBNICATE"}', status: 400, message: /Expecting 'type' to be present/ },
  { name: 'type UNKNOWN without framework_id', headers: JSON_CT, body: '{"type":"UNKNOWN"}', status: 400, message: /framework_id/ },
  { name: 'SUBSCRIBE without subscribe', headers: JSON_CT, body: '{"type":"SUBSCRIBE"}', status: 400, message: /Expecting 'subscribe' to be present/ },
  { name: 'FrameworkInfo without user', headers: JSON_CT, body: sub({ name: 'x' }), status: 400, message: /Missing required fields.*user|user/ },
  { name: 'non-subscribe without framework_id', headers: { ...JSON_CT, 'Mesos-Stream-Id': '00000000-0000-4000-8000-000000000000' }, body: '{"type":"REVIVE"}', status: 400, message: /framework_id/ },
  { name: 'SUBSCRIBE carrying Mesos-Stream-Id', headers: { ...JSON_CT, 'Mesos-Stream-Id': '00000000-0000-4000-8000-000000000000' }, body: sub({ user: 'u', name: 'x' }), status: 400, message: /Mesos-Stream-Id/ },
  { name: 'unknown framework', headers: { ...JSON_CT, 'Mesos-Stream-Id': '00000000-0000-4000-8000-000000000000' }, body: '{"type":"REVIVE","framework_id":{"value":"nope"}}', status: 400, message: /Framework cannot be found/ },
  { name: 'ACKNOWLEDGE uuid not 16 bytes', headers: { ...JSON_CT, 'Mesos-Stream-Id': '00000000-0000-4000-8000-000000000000' }, body: '{"type":"ACKNOWLEDGE","framework_id":{"value":"nope"},"acknowledge":{"agent_id":{"value":"a"},"task_id":{"value":"t"},"uuid":"aGVsbG8="}}', status: 400, message: /uuid|UUID|16/ },
  { name: 'oversize body (> --max_body_size 1024)', headers: JSON_CT, body: sub({ user: 'u', name: 'x'.repeat(2048) }), status: 413, message: /.*/ },
  { name: 'wrong Content-Type', headers: { 'Content-Type': 'text/plain' }, body: sub({ user: 'u', name: 'x' }), status: 415, message: /text\/plain|Content-Type|content type/i },
  { name: 'missing Content-Type', headers: {}, body: sub({ user: 'u', name: 'x' }), status: 400, message: /Content-Type/ },
  { name: 'GET on the scheduler endpoint', method: 'GET', status: 405, message: /.*/ },
];

describe('acceptance (i): bad input to /api/v1/scheduler', () => {
  let master: Daemon;
  let before: string;

  const snapshot = async (): Promise<string> => {
    const s = await getJson<{ frameworks: Array<{ id: string; name: string }>; completed_frameworks: unknown[]; slaves: unknown[] }>(`${master.url}/master/state`);
    return JSON.stringify({ frameworks: s.frameworks.map((f) => [f.id, f.name]), completed: s.completed_frameworks.length, slaves: s.slaves.length });
  };

  beforeAll(async () => {
    master = await startMaster({ flags: { ...FAST_MASTER_FLAGS, max_body_size: 1024 } });
    before = await snapshot();
  });

  for (const c of CASES) {
    it(`${c.name} → ${c.status}`, async () => {
      const init: { method: string; headers: Record<string, string>; body?: string } = { method: c.method ?? 'POST', headers: c.headers ?? {} };
      if (c.body !== undefined) init.body = c.body;
      const r = await rawRequest(`${master.url}/api/v1/scheduler`, init);
      expect(`${r.status} ${r.body.slice(0, 300)}`).toMatch(new RegExp(`^${c.status} `));
      expect(r.body).toMatch(c.message);
      if (c.status === 405) expect(String(r.headers.allow)).toContain('POST');
      if (c.status !== 405 && c.status !== 501 && c.status !== 413) expect(r.body.length).toBeGreaterThan(0);
    });
  }

  it('leaves the master state unchanged and still serves a valid SUBSCRIBE', async () => {
    expect(await snapshot()).toBe(before);
    const ok = await openFramework(master.url, subscribeCall({ name: 'after-bad-input' }));
    expect(ok.frameworkId).not.toBe('');
    // type UNKNOWN from a subscribed framework with its stream id → 501 (spec §1.5 row 17).
    const unknown = await ok.call({ type: 'UNKNOWN', framework_id: { value: ok.frameworkId } });
    expect(unknown.status).toBe(501);
    // Bad calls from a subscribed framework do not change it either.
    const bad = await ok.call({ type: 'ACCEPT', framework_id: { value: ok.frameworkId } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/accept/);
    ok.close();
  });
});
