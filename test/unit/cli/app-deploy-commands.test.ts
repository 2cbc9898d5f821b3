import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { AppsApiError, AppsClient, CliError, EXIT, type ApiAnswer, type Output } from '../../../src/cli/apps-client.js';
import { appActions, appCommand, parseCount, parseSets, readDefinition } from '../../../src/cli/app.js';
import { LiveBlock, deployActions, deployCommand, parseWait } from '../../../src/cli/deploy.js';

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

/** Answers from a table keyed by `METHOD path`; records every call. */
class FakeClient extends AppsClient {
  readonly calls: Call[] = [];
  constructor(private readonly answer: (c: Call) => { status?: number; body: unknown; headers?: Record<string, string> }) {
    super('http://fake');
  }
  override async call<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const c: Call = body === undefined ? { method, path } : { method, path, body };
    this.calls.push(c);
    const a = this.answer(c);
    const status = a.status ?? 200;
    if (status >= 300) throw new AppsApiError(method, path, status, a.body);
    return { status, body: a.body as T, headers: a.headers ?? {} };
  }
}

function collector(tty = false): Output & { lines: string[]; errs: string[] } {
  const lines: string[] = [];
  const errs: string[] = [];
  return { lines, errs, tty, out: (l) => lines.push(l), err: (l) => errs.push(l) };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('agora app argument handling', () => {
  it('reads one JSON object from a definition file and reports bad files as usage errors', () => {
    expect(readDefinition('f', () => '{"id":"/a"}')).toEqual({ id: '/a' });
    const usage = (fn: () => unknown): number => {
      try {
        fn();
      } catch (e: unknown) {
        return e instanceof CliError ? e.exitCode : -1;
      }
      return 0;
    };
    expect(usage(() => readDefinition('f', () => '{"id":'))).toBe(EXIT.usage);
    expect(usage(() => readDefinition('f', () => '[1]'))).toBe(EXIT.usage);
    expect(usage(() => readDefinition('f', () => {
      throw new Error('ENOENT');
    }))).toBe(EXIT.usage);
    expect(parseCount(' 3 ', 'instances')).toBe(3);
    expect(usage(() => parseCount('-1', 'instances'))).toBe(EXIT.usage);
    expect(usage(() => parseCount('two', 'instances'))).toBe(EXIT.usage);
    expect(parseSets(['instances=2', 'cmd=sleep 5', 'labels={"a":"b"}'])).toEqual({ instances: 2, cmd: 'sleep 5', labels: { a: 'b' } });
    expect(usage(() => parseSets(['=x']))).toBe(EXIT.usage);
  });

  it('scale PUTs instances (with force) and prints the deployment', async () => {
    const client = new FakeClient(() => ({ body: { version: 'v', deploymentId: 'd9' }, headers: {} }));
    const o = collector();
    await appActions.scale(client, o, 'web', '4', { force: true });
    expect(client.calls).toEqual([{ method: 'PUT', path: '/v2/apps/web?force=true', body: { instances: 4 } }]);
    expect(o.lines).toEqual(['Scaling /web to 4 instance(s) (deployment d9; follow it with: agora deploy watch d9)']);
  });

  it('update merges --set over the file; remove and restart pass --force; an empty update is a usage error', async () => {
    const client = new FakeClient(() => ({ body: { version: 'v', deploymentId: 'd1' }, headers: { 'marathon-deployment-id': 'd2' } }));
    const o = collector();
    await expect(appActions.update(client, o, '/web', undefined, [], {})).rejects.toMatchObject({ exitCode: EXIT.usage });
    await appActions.update(client, o, '/web', undefined, ['cmd=sleep 9', 'instances=3'], {});
    await appActions.restart(client, o, '/web', { force: true });
    await appActions.remove(client, o, '/web', {});
    expect(client.calls).toEqual([
      { method: 'PUT', path: '/v2/apps/web', body: { cmd: 'sleep 9', instances: 3 } },
      { method: 'POST', path: '/v2/apps/web/restart?force=true' },
      { method: 'DELETE', path: '/v2/apps/web' },
    ]);
    // The Marathon-Deployment-Id header wins over the body.
    expect(o.lines).toEqual([
      'Updated /web (deployment d2; follow it with: agora deploy watch d2)',
      'Restarting /web (deployment d2; follow it with: agora deploy watch d2)',
      'Removing /web (deployment d2; follow it with: agora deploy watch d2)',
    ]);
  });

  it('why checks the app exists, then finds it in the queue', async () => {
    const client = new FakeClient((c) =>
      c.path === '/v2/queue'
        ? { body: { queue: [{ app: { id: '/other' }, count: 1 }, { app: { id: '/web' }, count: 2, since: 's' }] } }
        : { body: { app: { id: '/web' } } },
    );
    const o = collector();
    await appActions.why(client, o, 'web', {});
    expect(client.calls.map((c) => c.path)).toEqual(['/v2/apps/web', '/v2/queue']);
    expect(o.lines[0]).toBe('/web: 2 instance(s) waiting since s');
    const missing = new FakeClient(() => ({ status: 404, body: { message: "App '/nope' does not exist" } }));
    await expect(appActions.why(missing, o, 'nope', {})).rejects.toBeInstanceOf(AppsApiError);
  });

  it('runs through commander: --apps after the sub-command; unreachable exits 3, a bad count exits 2', async () => {
    const o = collector();
    const cmd = appCommand(o).exitOverride();
    // Nothing listens on port 1: the command must fail with "unreachable" and name the URL it used.
    await cmd.parseAsync(['node', 'app', 'list', '--apps', 'http://127.0.0.1:1'], { from: 'node' });
    expect(process.exitCode).toBe(EXIT.unreachable);
    expect(o.errs[0]).toMatch(/^error: cannot reach agora apps at http:\/\/127\.0\.0\.1:1 /);
    await cmd.parseAsync(['node', 'app', 'scale', 'web', 'lots', '--apps', 'http://127.0.0.1:1'], { from: 'node' });
    expect(process.exitCode).toBe(EXIT.usage);
    expect(o.errs.at(-1)).toBe("error: instances must be a non-negative integer, got 'lots'");
  });
});

describe('agora deploy', () => {
  it('cancel reports the rollback deployment, or no rollback with --force', async () => {
    const client = new FakeClient((c) => (c.path.endsWith('force=true') ? { status: 202, body: '' } : { body: { deploymentId: 'r1', version: 'v' } }));
    const o = collector();
    await deployActions.cancel(client, o, 'd1', {});
    await deployActions.cancel(client, o, 'd1', { force: true });
    expect(client.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['DELETE /v2/deployments/d1', 'DELETE /v2/deployments/d1?force=true']);
    expect(o.lines).toEqual(['Cancelled deployment d1; rolling back in deployment r1', 'Cancelled deployment d1 without rollback']);
  });

  it('watch redraws progress until the deployment leaves the list', async () => {
    const clock = new FakeClock();
    let running = 0;
    let polls = 0;
    const client = new FakeClient((c) => {
      if (c.path === '/v2/deployments') {
        polls++;
        return { body: polls <= 3 ? [{ id: 'd1', affectedApps: ['/a'], currentStep: 1, totalSteps: 1, steps: [{ actions: [{ action: 'ScaleApplication', app: '/a' }] }] }] : [] };
      }
      return { body: { app: { id: '/a', instances: 2, tasksRunning: running } } };
    });
    const o = collector();
    const done = deployActions.watch(client, o, 'd1', { intervalMs: 500, timeoutMs: 0, clock });
    await clock.advance(500);
    running = 2;
    await clock.advance(500);
    await clock.advance(500);
    expect(await done).toBe(EXIT.ok);
    // Not a terminal: the block is printed again only when it changed.
    expect(o.lines.filter((l) => l.includes('0/2 ready'))).toHaveLength(1);
    expect(o.lines.filter((l) => l.includes('2/2 ready')).length).toBeGreaterThanOrEqual(1);
    expect(o.lines.at(-1)).toBe('deployment d1 finished after 1.5s');
  });

  it('watch exits 1 when the deployment leaves the list short of its goal (cancelled)', async () => {
    const clock = new FakeClock();
    let polls = 0;
    const client = new FakeClient((c) => {
      if (c.path === '/v2/deployments') return { body: ++polls === 1 ? [{ id: 'd1', affectedApps: ['/a'], steps: [{ actions: [{ action: 'ScaleApplication', app: '/a' }] }] }] : [] };
      return { body: { app: { id: '/a', instances: 3, tasksRunning: 1 } } };
    });
    const o = collector();
    const done = deployActions.watch(client, o, 'd1', { intervalMs: 500, timeoutMs: 0, clock });
    await clock.advance(500);
    expect(await done).toBe(EXIT.apiError);
    expect(o.lines.at(-1)).toBe('deployment d1 ended after 0.5s without reaching its goal (cancelled or superseded)');
  });

  it('watch of an unknown deployment fails; a deployment that outlives --timeout exits 4', async () => {
    const clock = new FakeClock();
    const none = new FakeClient(() => ({ body: [] }));
    await expect(deployActions.watch(none, collector(), 'dx', { intervalMs: 500, timeoutMs: 0, clock })).rejects.toThrow(/not in progress/);
    const stuck = new FakeClient((c) => (c.path === '/v2/deployments' ? { body: [{ id: 'd1', affectedApps: [], steps: [] }] } : { body: {} }));
    const o = collector();
    const done = deployActions.watch(stuck, o, 'd1', { intervalMs: 500, timeoutMs: 1000, clock });
    await clock.advance(500);
    await clock.advance(500);
    expect(await done).toBe(EXIT.timeout);
    expect(o.errs).toEqual(['error: deployment d1 still running after 1s']);
  });

  it('redraws in place on a terminal', () => {
    const o = collector(true);
    const live = new LiveBlock(o);
    live.render(['a', 'b']);
    live.render(['c']);
    expect(o.lines[0]).toBe('\r\x1b[2Ka\n\x1b[2Kb');
    expect(o.lines[1]).toBe('\x1b[2A\r\x1b[2Kc\n\x1b[J');
  });

  it('parses --interval and --timeout', () => {
    expect(parseWait('2', '--timeout')).toBe(2000);
    expect(parseWait('250ms', '--interval')).toBe(250);
    expect(() => parseWait('soon', '--interval')).toThrow(CliError);
    expect(deployCommand(collector()).commands.map((c) => c.name())).toEqual(['list', 'watch', 'cancel']);
  });
});
