/**
 * Framework HA pieces without ZooKeeper: candidate payload parsing, the election path, loop detection, and
 * forward()'s answers when the leader refuses (502) or never answers (504, under a FakeClock).
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { forward, isLoop } from '../../../src/coordination/framework-ha/forward.js';
import { electionUrl, parseMember } from '../../../src/coordination/framework-ha/framework-leadership.js';
import { parseZkUrl } from '../../../src/coordination/index.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('framework HA helpers', () => {
  it('parses member payloads of json.info_ nodes only', () => {
    const m = { id: 'x', hostPort: 'h:1', url: 'http://h:1' };
    expect(parseMember({ name: 'json.info_0000000001', label: 'json.info', seq: 1 }, Buffer.from(JSON.stringify(m)))).toEqual(m);
    expect(parseMember({ name: 'json.info_0000000001', label: 'json.info', seq: 1 }, Buffer.from('{"id":"x"}'))).toBeUndefined();
    expect(parseMember({ name: 'json.info_0000000001', label: 'json.info', seq: 1 }, Buffer.from('not json'))).toBeUndefined();
    expect(parseMember({ name: 'info_0000000001', label: 'info', seq: 1 }, Buffer.from(JSON.stringify(m)))).toBeUndefined();
    expect(electionUrl(parseZkUrl('zk://a:1,b:2/marathon')).path).toBe('/marathon/leader');
  });

  it('detects a loop only when this node is already in the via header', () => {
    expect(isLoop({ 'x-marathon-via': 'a:1, b:2' }, 'X-Marathon-Via', 'b:2')).toBe(true);
    expect(isLoop({ 'x-marathon-via': 'a:1, b:22' }, 'X-Marathon-Via', 'b:2')).toBe(false);
    expect(isLoop({}, 'X-Marathon-Via', 'b:2')).toBe(false);
  });

  it('answers 502 when the leader refuses and 504 when it never answers', async () => {
    const clock = new FakeClock();
    // A port that refuses: listen, learn the port, close.
    const refused = await listen(() => undefined);
    const s = servers.pop();
    s?.closeAllConnections();
    await new Promise<void>((r) => s?.close(() => r()));
    const silent = await listen(() => undefined);
    let target = refused;
    const front = await listen((req, res) => void forward(req, res, { target, viaHeader: 'X-Marathon-Via', self: 'me:1', timeoutMs: 10_000, clock }));

    const r1 = await get(`${front}/v2/apps`);
    expect(r1.status).toBe(502);
    expect(r1.body).toMatch(/^Failed to proxy to the leader/);

    target = silent;
    const pending = get(`${front}/v2/apps`);
    // Let the request reach the silent server before time moves on.
    for (let i = 0; i < 50 && clock.pending() === 0; i++) await new Promise((r) => setImmediate(r));
    await clock.advance(10_000);
    const r2 = await pending;
    expect(r2.status).toBe(504);
  });
});
