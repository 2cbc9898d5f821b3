/** The built-in proxy on real loopback sockets: round-robin, a refusing server skipped, server lists swapped in place. */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/log.js';
import { BuiltinProxy } from '../../../src/lb/builtin-proxy.js';
import { buildModel, type LbModel } from '../../../src/lb/model.js';
import { freePort } from '../../helpers/ports.js';
import { rawRequest } from '../../helpers/http.js';
import { app, EXTERNAL, task } from './fixtures.js';

const servers: Server[] = [];
const proxies: BuiltinProxy[] = [];

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function backend(name: string): Promise<number> {
  const port = await freePort();
  const s = createServer((_q, r) => r.end(name));
  servers.push(s);
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()));
  return port;
}

function model(servicePort: number, ports: number[], labels: Record<string, string> = EXTERNAL): LbModel {
  return buildModel({ apps: [app('/web', [servicePort], labels, ports.map((p, i) => task(`t${i}`, p, { host: '127.0.0.1' })))] }, { groups: ['external'], bindAddr: '127.0.0.1' });
}

async function bodies(url: string, n: number, headers: Record<string, string> = {}): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await rawRequest(url, { headers })).body);
  return out;
}

describe('BuiltinProxy', () => {
  it('round-robins a service port, skips a refusing server, and follows membership changes without closing the port', async () => {
    const [a, b, dead, servicePort] = [await backend('a'), await backend('b'), await freePort(), await freePort()];
    const proxy = new BuiltinProxy({ bindAddr: '127.0.0.1', httpPort: 0 }, silentLogger());
    proxies.push(proxy);
    expect((await proxy.apply(model(servicePort, [a, b, dead]))).action).toBe('start');
    const seen = await bodies(`http://127.0.0.1:${servicePort}/`, 6);
    expect(new Set(seen)).toEqual(new Set(['a', 'b']));
    expect((await proxy.apply(model(servicePort, [b]))).action).toBe('runtime');
    expect(await bodies(`http://127.0.0.1:${servicePort}/`, 3)).toEqual(['b', 'b', 'b']);
    expect(proxy.status().details['listeners']).toEqual([`127.0.0.1:${servicePort}`]);
  });

  it('routes the vhost port by Host header: 404 for an unknown host, 503 without servers', async () => {
    const [a, servicePort, httpPort] = [await backend('a'), await freePort(), await freePort()];
    const proxy = new BuiltinProxy({ bindAddr: '127.0.0.1', httpPort }, silentLogger());
    proxies.push(proxy);
    const vhost = { ...EXTERNAL, HAPROXY_0_VHOST: 'web.test' };
    await proxy.apply(model(servicePort, [a], vhost));
    expect((await rawRequest(`http://127.0.0.1:${httpPort}/x`, { headers: { host: 'WEB.test:1234' } })).body).toBe('a');
    expect((await rawRequest(`http://127.0.0.1:${httpPort}/`, { headers: { host: 'other.test' } })).status).toBe(404);
    await proxy.apply(model(servicePort, [], vhost));
    expect((await rawRequest(`http://127.0.0.1:${httpPort}/`, { headers: { host: 'web.test' } })).status).toBe(503);
  });

  it('reports a service port it cannot bind as a rejected app', async () => {
    const taken = await backend('x');
    const proxy = new BuiltinProxy({ bindAddr: '127.0.0.1', httpPort: 0 }, silentLogger());
    proxies.push(proxy);
    const out = await proxy.apply(model(taken, []));
    expect(out.rejected).toEqual([{ appId: '/web', message: expect.stringContaining(`cannot listen on 127.0.0.1:${taken}`) as unknown }]);
  });
});
