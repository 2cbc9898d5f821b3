/**
 * The standby master's HTTP surface (spec §1.6, ADR 0042): local endpoints, 307 with a protocol-relative
 * Location for everything else, 503 with no leader (or while this master, elected, still recovers).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { MasterInfoJson } from '../../../src/api/mesos/common.js';
import type { ZkMasterDetector } from '../../../src/coordination/index.js';
import { resolveFlags } from '../../../src/core/flags.js';
import { MASTER_FLAGS } from '../../../src/master/index.js';
import { standbyApp } from '../../../src/master/ha-standby.js';

const LEADER: MasterInfoJson = {
  id: 'leader-id',
  ip: 0,
  port: 5052,
  pid: 'master@10.0.0.2:5052',
  hostname: 'm2.example',
  version: '1.12.0',
  address: { hostname: 'm2.example', ip: '10.0.0.2', port: 5052 },
};

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

function app(leader: MasterInfoJson | undefined): FastifyInstance {
  const detector = { leader } as unknown as ZkMasterDetector;
  const flags = resolveFlags(MASTER_FLAGS, { zk: 'zk://127.0.0.1:2181/agora', agent_ping_timeout: '3secs' }, {});
  const a = standbyApp(detector, flags, 'self-id', 5051);
  apps.push(a);
  return a;
}

describe('standby surface', () => {
  it.each([undefined, LEADER])('serves /health, /flags, /version, /metrics/snapshot, /help, /files/* itself (leader %#)', async (leader) => {
    const a = app(leader);
    for (const url of ['/health', '/master/health']) expect((await a.inject({ url })).statusCode).toBe(200);
    const flags = await a.inject({ url: '/flags' });
    expect(flags.statusCode).toBe(200);
    expect(flags.json<{ flags: Record<string, string> }>().flags).toMatchObject({ port: '5051', agent_ping_timeout: '3secs', zk: 'zk://127.0.0.1:2181/agora' });
    expect((await a.inject({ url: '/master/flags' })).statusCode).toBe(200);
    expect((await a.inject({ url: '/version' })).json()).toMatchObject({ version: '1.12.0' });
    expect((await a.inject({ url: '/metrics/snapshot' })).json()).toEqual({ 'master/elected': 0 });
    const help = await a.inject({ url: '/help' });
    expect([help.statusCode, help.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect((await a.inject({ url: '/files/debug' })).json()).toEqual({});
    expect((await a.inject({ url: '/files/browse' })).statusCode).toBe(400);
    expect((await a.inject({ url: '/files/read?path=/master/log' })).statusCode).toBe(404);
  });

  it('redirects leader-only endpoints with 307 and a protocol-relative Location', async () => {
    const a = app(LEADER);
    const cases: [string, string, string][] = [
      ['POST', '/api/v1/scheduler', '//m2.example:5052/api/v1/scheduler'],
      ['POST', '/api/v1', '//m2.example:5052/api/v1'],
      ['GET', '/master/state?jsonp=f', '//m2.example:5052/master/state?jsonp=f'],
      ['GET', '/state', '//m2.example:5052/state'],
      ['GET', '/master/slaves', '//m2.example:5052/master/slaves'],
      ['POST', '/master/teardown', '//m2.example:5052/master/teardown'],
      ['POST', '/agora/api/v1/agent', '//m2.example:5052/agora/api/v1/agent'],
      ['GET', '/redirect', '//m2.example:5052'],
      ['GET', '/master/redirect', '//m2.example:5052'],
    ];
    for (const [method, url, location] of cases) {
      const res = method === 'POST' ? await a.inject({ method: 'POST', url, payload: '{}' }) : await a.inject({ method: 'GET', url });
      expect([url, res.statusCode, res.headers.location]).toEqual([url, 307, location]);
    }
    // Loop guard, as upstream.
    expect((await a.inject({ url: '/redirect/x' })).statusCode).toBe(404);
  });

  it('503 when no leader is known, and while this master (elected) still recovers', async () => {
    const none = await app(undefined).inject({ method: 'POST', url: '/api/v1/scheduler', payload: '{}' });
    expect([none.statusCode, none.body]).toEqual([503, 'No leader elected']);
    expect((await app(undefined).inject({ url: '/redirect' })).statusCode).toBe(503);
    const self = await app({ ...LEADER, id: 'self-id' }).inject({ url: '/master/state' });
    expect([self.statusCode, self.body]).toEqual([503, 'Leader is recovering']);
  });
});
