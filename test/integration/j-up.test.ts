// Acceptance (j): `agora up` brings up a local cluster whose master lists an agent, and SIGINT stops it
// cleanly with exit code 0.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { freePortRun, isHealthy, slaves, spawnAgora, tempDir, waitFor } from '../helpers/index.js';

useCleanup();

describe('acceptance (j): agora up', () => {
  it('starts a master with a registered agent and exits 0 on SIGINT', async () => {
    const workDir = tempDir('agora-up-');
    // `agora up --port P` puts its agent on P+1.
    const port = await freePortRun(1);
    const up = spawnAgora('up', ['up', '--work_dir', workDir, '--port', String(port), '--agents', '1'], workDir);
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

    up.child.kill('SIGINT');
    const code = await Promise.race([up.exited, new Promise<number>((res) => globalThis.setTimeout(() => res(-1), 20_000))]);
    expect(code, up.log().slice(-3000)).toBe(0);
    expect(await isHealthy(url)).toBe(false);
    // Its agent (port P+1) is gone too.
    expect(await isHealthy(`http://127.0.0.1:${port + 1}`)).toBe(false);
  });
});
