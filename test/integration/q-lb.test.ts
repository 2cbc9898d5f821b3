/**
 * `agora lb` against a real master, agent and `agora apps`, with real HAProxy (Debian package `haproxy`) and,
 * beside it on 127.0.0.2, the built-in proxy: an app of 3 instances (each task a tiny HTTP server answering
 * its own task id) with a service port: requests to the service port reach all 3 tasks through both proxies;
 * two vhost apps on one HTTP port are routed by Host header; scaled to 5 the new tasks get traffic (HAProxy through the runtime API,
 * no reload); a killed task leaves the rotation; an app with a bad HAPROXY_0_VHOST is rejected and shown in
 * /_lb/status, and one whose config HAProxy refuses (`haproxy -c`: missing certificate) is left out, while the
 * good app keeps working. Last, under a steady load through HAProxy the app scales 4 → 8 (a reload) → 2 and
 * restarts with zero failed requests. `agora dns` answers A and SRV records of the tasks, follows the scaling
 * and answers NXDOMAIN for unknown names.
 */
import { createSocket } from 'node:dgram';
import { decode, encode, type DecodedPacket } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { delay, freePort, getJson, isHealthy, postJson, rawRequest, spawnAgora, startAppsDaemon, startCluster, tempDir, waitFor, type Spawned } from '../helpers/index.js';

useCleanup();

interface TaskJson {
  id: string;
  state: string;
  ports: number[];
  healthCheckResults: { alive: boolean }[];
}

interface LbStatus {
  proxy: string;
  reloads: number;
  runtimeUpdates: number;
  validationFailures: number;
  errors: { appId: string; message: string }[];
  services: { appId: string; servicePort: number; servers: { taskId: string }[] }[];
}

async function startLb(appsUrl: string, bind: string, proxy: string, httpPort: number): Promise<{ p: Spawned; url: string }> {
  const dir = tempDir('agora-lb-');
  const port = await freePort();
  const statsPort = await freePort();
  const p = spawnAgora(`lb-${proxy}-${port}`, [
    'lb', '--apps', appsUrl, '--bind', bind, '--port', String(port), '--stats-port', String(statsPort), '--http-port', String(httpPort),
    '--https-port', '0', '--proxy', proxy, '--run-dir', dir, '--coalesce', '100ms', '--min-slots', '6',
  ], dir);
  const url = `http://${bind}:${port}`;
  await waitFor(async () => {
    if (p.exitCode() !== undefined) throw new Error(`lb exited: ${p.log()}`);
    return isHealthy(url);
  }, { timeoutMs: 20_000, what: `agora lb (${proxy}) /health` });
  return { p, url };
}

/** One UDP DNS query to 127.0.0.1:port. */
function dnsQuery(port: number, name: string, type: 'A' | 'SRV'): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no DNS answer for ${name}`));
    }, 2000);
    sock.once('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(decode(msg));
    });
    sock.send(encode({ type: 'query', id: 7, questions: [{ type, name }] }), port, '127.0.0.1');
  });
}

/** SRV `_web._tcp.marathon.agora` ports, sorted. */
async function srvPorts(port: number): Promise<number[]> {
  const r = await dnsQuery(port, '_web._tcp.marathon.agora', 'SRV');
  return (r.answers ?? []).map((a) => (a.type === 'SRV' ? a.data.port : 0)).sort();
}

/** Bodies of `n` requests on fresh connections (errors count as `ERR`). */
async function hits(url: string, n: number, headers: Record<string, string> = {}): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const r = await rawRequest(url, { headers, timeoutMs: 3000 });
      out.push(r.status === 200 ? r.body : `HTTP ${r.status}`);
    } catch {
      out.push('ERR');
    }
  }
  return out;
}

/** `concurrency` clients sending requests on fresh connections back to back (with a 10 ms pause) until stop(). */
function startLoad(url: string, concurrency: number): { stop(): Promise<{ ok: number; failed: string[] }> } {
  let running = true;
  let ok = 0;
  const failed: string[] = [];
  const worker = async (): Promise<void> => {
    while (running) {
      try {
        const r = await rawRequest(url, { timeoutMs: 10_000 });
        if (r.status === 200) ok++;
        else failed.push(`HTTP ${r.status}: ${r.body.slice(0, 100)}`);
      } catch (e: unknown) {
        failed.push(e instanceof Error ? e.message : String(e));
      }
      await delay(10);
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return { ok, failed };
    },
  };
}

/** Tasks the LB should serve: running and, for /web (which has a health check), alive. */
async function runningTasks(appsUrl: string, app: string): Promise<string[]> {
  const t = (await getJson<{ tasks: TaskJson[] }>(`${appsUrl}/v2/apps/${app}/tasks`)).tasks;
  const healthy = (x: TaskJson): boolean => app !== 'web' || (x.healthCheckResults.length > 0 && x.healthCheckResults.every((r) => r.alive));
  return t.filter((x) => x.state === 'TASK_RUNNING' && healthy(x)).map((x) => x.id).sort();
}

/** Waits until requests through `url` reach exactly the running tasks. */
async function waitRouted(url: string, appsUrl: string, count: number, what: string, headers: Record<string, string> = {}): Promise<string[]> {
  return waitFor(async () => {
    const ids = await runningTasks(appsUrl, 'web');
    if (ids.length !== count) return false;
    const seen = [...new Set(await hits(url, count * 4, headers))].sort();
    return JSON.stringify(seen) === JSON.stringify(ids) ? ids : false;
  }, { timeoutMs: 25_000, intervalMs: 200, what });
}

describe('agora lb', () => {
  it('routes service ports and vhosts to healthy tasks (HAProxy and built-in), loses no request while scaling, and serves DNS', async () => {
    const { master } = await startCluster();
    const appsUrl = await startAppsDaemon(master.hostPort, 'agora-lb-apps-');
    const [servicePort, otherPort, badPort, tlsPort, httpPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    // Each change waits for the previous deployment to finish (else 409).
    const settled = (): Promise<boolean> => waitFor(async () => (await getJson<unknown[]>(`${appsUrl}/v2/deployments`)).length === 0, { timeoutMs: 20_000, what: 'no deployment in progress' });
    const [hap, builtin] = await Promise.all([startLb(appsUrl, '127.0.0.1', 'haproxy', httpPort), startLb(appsUrl, '127.0.0.2', 'builtin', httpPort)]);
    const dnsPort = await freePort();
    const dnsDir = tempDir('agora-dns-');
    spawnAgora('dns', ['dns', '--master', master.url, '--port', String(dnsPort), '--refresh', '300ms', '--ttl', '5'], dnsDir);
    await waitFor(() => dnsQuery(dnsPort, 'leader.agora', 'A').then((r) => r.answers?.length === 1), { timeoutMs: 15_000, what: 'agora dns answering leader.agora' });
    const taskPorts = async (): Promise<number[]> => (await getJson<{ tasks: TaskJson[] }>(`${appsUrl}/v2/apps/web/tasks`)).tasks.filter((t) => t.state === 'TASK_RUNNING').map((t) => t.ports[0] ?? 0).sort();

    // Each task answers its own id and, on SIGTERM, stops accepting and finishes what it has (graceful stop).
    const server = `${process.execPath} -e "const s=require('http').createServer((q,r)=>r.end(process.env.MESOS_TASK_ID)).listen(+process.env.PORT0);process.on('SIGTERM',()=>s.close(()=>process.exit(0)))"`;
    // A Marathon HTTP health check: the LB serves a task only once it answers (and a restart waits for it).
    const healthChecks = [{ protocol: 'HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 10, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 3 }];
    const web = { id: '/web', cmd: server, cpus: 0.1, mem: 32, instances: 3, healthChecks, portDefinitions: [{ port: servicePort }], labels: { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: 'web.test' } };
    const bad = { id: '/bad', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 0, portDefinitions: [{ port: badPort }], labels: { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: 'bad host.test' } };
    expect((await postJson(`${appsUrl}/v2/apps`, web)).status).toBe(201);
    // Passes label validation but not `haproxy -c` (no such certificate): HAProxy rejects only this app.
    const tls = { id: '/tls', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 0, portDefinitions: [{ port: tlsPort }], labels: { HAPROXY_GROUP: 'external', HAPROXY_0_SSL_CERT: '/nonexistent/agora-lb.pem' } };
    const other = { ...web, healthChecks: [], id: '/other', instances: 1, portDefinitions: [{ port: otherPort }], labels: { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: 'other.test' } };
    expect((await postJson(`${appsUrl}/v2/apps`, other)).status).toBe(201);
    expect((await postJson(`${appsUrl}/v2/apps`, bad)).status).toBe(201);
    expect((await postJson(`${appsUrl}/v2/apps`, tls)).status).toBe(201);

    // 3 tasks: the service port (both proxies) and the vhost port reach all of them.
    const three = await waitRouted(`http://127.0.0.1:${servicePort}/`, appsUrl, 3, 'HAProxy service port reaching 3 tasks');
    await waitRouted(`http://127.0.0.2:${servicePort}/`, appsUrl, 3, 'built-in service port reaching 3 tasks');
    await waitRouted(`http://127.0.0.1:${httpPort}/`, appsUrl, 3, 'HAProxy vhost reaching 3 tasks', { host: 'web.test' });
    await waitRouted(`http://127.0.0.2:${httpPort}/`, appsUrl, 3, 'built-in vhost reaching 3 tasks', { host: 'web.test:80' });
    // A second vhost app on the same HTTP port is routed by Host header; an unknown host gets no backend.
    const otherTask = await waitFor(async () => (await runningTasks(appsUrl, 'other'))[0], { timeoutMs: 15_000, what: '/other running' });
    for (const host of ['127.0.0.1', '127.0.0.2']) {
      await waitFor(async () => (await hits(`http://${host}:${httpPort}/`, 3, { host: 'other.test' })).every((b) => b === otherTask), { timeoutMs: 10_000, what: `${host} routing other.test` });
      expect((await hits(`http://${host}:${httpPort}/`, 1, { host: 'nobody.test' }))[0]).toMatch(/^HTTP (404|503)$/);
    }

    // DNS: A and SRV records of the 3 tasks; unknown names are NXDOMAIN.
    await waitFor(async () => JSON.stringify(await srvPorts(dnsPort)) === JSON.stringify(await taskPorts()), { timeoutMs: 10_000, what: 'SRV records = the 3 task ports' });
    expect(await srvPorts(dnsPort)).toHaveLength(3);
    expect((await dnsQuery(dnsPort, 'web.marathon.agora', 'A')).answers?.map((a) => (a.type === 'A' ? a.data : ''))).toEqual(['127.0.0.1']);
    expect(((await dnsQuery(dnsPort, 'nope.marathon.agora', 'A')).flags ?? 0) & 0xf).toBe(3); // NXDOMAIN

    // The bad label is rejected and visible; the good app is served.
    const badLabel = { appId: '/bad', message: expect.stringContaining("HAPROXY_0_VHOST: invalid virtual host 'bad host.test'") as unknown };
    const hst = await getJson<LbStatus>(`${hap.url}/_lb/status`);
    expect(hst.proxy).toBe('haproxy');
    expect(hst.errors).toEqual([badLabel, { appId: '/tls', message: expect.stringContaining('refused by haproxy -c') as unknown }]);
    expect(hst.validationFailures).toBeGreaterThan(0);
    expect(hst.reloads).toBeGreaterThan(0);
    expect(hst.services.map((s) => s.appId)).toEqual(['/other', '/web']);
    const bst = await getJson<LbStatus>(`${builtin.url}/_lb/status`);
    expect(bst.errors).toEqual([badLabel]);
    expect(bst.services.map((s) => s.appId)).toEqual(['/other', '/tls', '/web']);
    expect(hap.p.log()).toContain('agora lb uses HAProxy');
    expect(builtin.p.log()).toContain('BUILT-IN Node proxy');

    // Scale to 5: the new tasks get traffic; HAProxy takes them through the runtime API.
    const before = await getJson<LbStatus>(`${hap.url}/_lb/status`);
    await settled();
    const scaled = await rawRequest(`${appsUrl}/v2/apps/web`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: 5 }) });
    expect(scaled.status).toBe(200);
    const five = await waitRouted(`http://127.0.0.1:${servicePort}/`, appsUrl, 5, 'HAProxy reaching 5 tasks');
    expect(five).toEqual(expect.arrayContaining(three));
    await waitRouted(`http://127.0.0.2:${servicePort}/`, appsUrl, 5, 'built-in reaching 5 tasks');
    await waitFor(async () => JSON.stringify(await srvPorts(dnsPort)) === JSON.stringify(await taskPorts()) && (await srvPorts(dnsPort)).length === 5, { timeoutMs: 10_000, what: 'SRV records following the scale to 5' });
    const after = await getJson<LbStatus>(`${hap.url}/_lb/status`);
    expect(after.runtimeUpdates).toBeGreaterThan(before.runtimeUpdates);
    expect(after.reloads).toBe(before.reloads);

    // Kill one task (scaling down): it leaves the rotation of both proxies.
    const victim = five[0] ?? '';
    await settled();
    const killed = await rawRequest(`${appsUrl}/v2/apps/web/tasks/${encodeURIComponent(victim)}?scale=true`, { method: 'DELETE' });
    expect(killed.status).toBe(200);
    for (const lb of [hap, builtin]) {
      await waitFor(async () => {
        const st = await getJson<LbStatus>(`${lb.url}/_lb/status`);
        const w = st.services.find((s) => s.appId === '/web');
        return w?.servers.length === 4 && !w.servers.some((s) => s.taskId === victim);
      }, { timeoutMs: 15_000, what: `${lb.url} dropping ${victim}` });
    }
    for (const host of ['127.0.0.1', '127.0.0.2']) {
      const seen = await hits(`http://${host}:${servicePort}/`, 16);
      expect(seen).not.toContain(victim);
      expect(seen).not.toContain('ERR');
    }
    const metrics = (await rawRequest(`${hap.url}/metrics`)).body;
    expect(metrics).toMatch(/^agora_lb_backends 2$/m);
    expect(metrics).toMatch(/^agora_lb_servers 5$/m);
    expect(metrics).toMatch(/^agora_lb_app_errors 2$/m);
    expect(metrics).toMatch(/^agora_lb_validation_failures_total [1-9]/m);

    // Under a steady load through HAProxy, scale 4 → 8 (past the slots: a seamless reload) → 2 (runtime API),
    // then restart the app (every task replaced): not one request fails.
    const load = startLoad(`http://127.0.0.1:${servicePort}/`, 3);
    const reloadsBefore = (await getJson<LbStatus>(`${hap.url}/_lb/status`)).reloads;
    const put = async (body: unknown): Promise<void> => {
      await settled();
      expect((await rawRequest(`${appsUrl}/v2/apps/web`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status).toBe(200);
    };
    const servedBy = async (n: number, what: string, not: readonly string[] = []): Promise<string[]> => waitFor(async () => {
      const ids = await runningTasks(appsUrl, 'web');
      const w = (await getJson<LbStatus>(`${hap.url}/_lb/status`)).services.find((x) => x.appId === '/web');
      const served = (w?.servers ?? []).map((x) => x.taskId).sort();
      return ids.length === n && JSON.stringify(served) === JSON.stringify(ids) && !ids.some((i) => not.includes(i)) ? ids : false;
    }, { timeoutMs: 20_000, intervalMs: 100, what });
    await put({ instances: 8 });
    await servedBy(8, 'HAProxy serving 8 tasks');
    await put({ instances: 2 });
    const two = await servedBy(2, 'HAProxy serving 2 tasks');
    await settled();
    expect((await rawRequest(`${appsUrl}/v2/apps/web/restart`, { method: 'POST' })).status).toBe(200);
    await servedBy(2, 'HAProxy serving 2 restarted tasks', two);
    const result = await load.stop();
    expect(result.failed).toEqual([]);
    expect(result.ok).toBeGreaterThan(100);
    expect((await getJson<LbStatus>(`${hap.url}/_lb/status`)).reloads).toBeGreaterThan(reloadsBefore);
  }, 45_000);
});
