// Acceptance (j): `agora up` brings up a local cluster whose master lists an agent, with `agora apps` and
// `agora jobs` answering on their ports and `agora lb` serving an app's service port, and SIGINT stops it all cleanly with exit code 0.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { freePort, freePortRun, isHealthy, rawRequest, slaves, spawnAgora, tempDir, waitFor } from '../helpers/index.js';

useCleanup();

describe('acceptance (j): agora up', () => {
  it('starts a master with a registered agent, apps and jobs, and exits 0 on SIGINT', async () => {
    const workDir = tempDir('agora-up-');
    // `agora up --port P` puts its agent on P+1.
    const port = await freePortRun(1);
    const appsPort = await freePort();
    const jobsPort = await freePort();
    const lbPort = await freePort();
    const servicePort = await freePort();
    const up = spawnAgora('up', [
      'up', '--work_dir', workDir, '--port', String(port), '--agents', '1',
      '--apps_port', String(appsPort), '--jobs_port', String(jobsPort), '--lb_port', String(lbPort),
    ], workDir);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (up.exitCode() !== undefined) throw new Error(`agora up exited with ${up.exitCode()}:\n${up.log()}`);
        return isHealthy(url);
      },
      { timeoutMs: 60_000, what: `agora up master at ${url}` },
    );
    const agents = await waitFor(async () => {
      const s = await slaves(url);
      return s.length > 0 ? s : undefined;
    }, { timeoutMs: 30_000, what: 'an agent in /master/slaves' });
    expect(agents[0]?.active).toBe(true);
    expect(agents[0]?.port).toBe(port + 1);

    // The banner (printed once everything answers) lists the frameworks' URLs.
    const appsUrl = `http://127.0.0.1:${appsPort}`;
    const jobsUrl = `http://127.0.0.1:${jobsPort}`;
    await waitFor(() => up.log().includes('Agora is up.'), { timeoutMs: 30_000, what: 'the agora up banner' });
    expect(up.log()).toContain(`apps     ${appsUrl}`);
    expect(up.log()).toContain(`jobs     ${jobsUrl}`);
    const ping = await rawRequest(`${appsUrl}/ping`);
    expect(ping.status).toBe(200);
    expect(ping.body).toContain('pong');
    expect((await rawRequest(`${jobsUrl}/ping`)).status).toBe(200);
    // Both frameworks registered with the master.
    await waitFor(async () => {
      const res = await rawRequest(`${url}/master/frameworks`);
      const names = (JSON.parse(res.body) as { frameworks: { name: string }[] }).frameworks.map((f) => f.name).sort();
      return names.length === 2 ? names : undefined;
    }, { timeoutMs: 20_000, what: 'apps and jobs in /master/frameworks' });

    // agora lb serves the apps' service ports out of the box: an app's service port reaches its task.
    expect(up.log()).toContain(`lb       http://127.0.0.1:${lbPort}`);
    const created = await fetch(`${appsUrl}/v2/apps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: '/hello', cmd: 'exec python3 -m http.server $PORT0 --bind 127.0.0.1', cpus: 0.1, mem: 64, portDefinitions: [{ port: servicePort }] }),
    });
    expect(created.status).toBe(201);
    const served = await waitFor(async () => {
      const r = await rawRequest(`http://127.0.0.1:${servicePort}/`).catch(() => undefined);
      return r !== undefined && r.status === 200 ? r : undefined;
    }, { timeoutMs: 30_000, what: `the app through service port ${servicePort}` });
    expect(served.body).toContain('Directory listing');

    up.child.kill('SIGINT');
    const code = await Promise.race([up.exited, new Promise<number>((res) => globalThis.setTimeout(() => res(-1), 20_000))]);
    expect(code, up.log().slice(-3000)).toBe(0);
    expect(await isHealthy(url)).toBe(false);
    // Its agent (port P+1) and the frameworks are gone too.
    expect(await isHealthy(`http://127.0.0.1:${port + 1}`)).toBe(false);
    expect(await isHealthy(appsUrl)).toBe(false);
    expect(await isHealthy(jobsUrl)).toBe(false);
    expect(await isHealthy(`http://127.0.0.1:${lbPort}`)).toBe(false);
  });
});
