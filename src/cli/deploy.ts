/**
 * `agora deploy list|watch|cancel`: deployments of `agora apps` (`--apps URL`, env AGORA_APPS). `watch` polls
 * `/v2/deployments` and the affected apps and redraws the steps' progress (in place on a terminal, one line
 * per change otherwise) until the deployment is gone from the list; exits 0 if its apps reached the goal,
 * 1 if it was cancelled or superseded.
 */
import { Command } from 'commander';
import { SystemClock, holdProcessOpen, sleep, type Clock } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { AppsApiError, AppsClient, CliError, EXIT, appPath, appsBaseUrl, processOutput, runClientCommand, type Output } from './apps-client.js';
import { deploymentListLines, deploymentReachedGoal, watchLines, type AppJson, type DeploymentJson } from './apps-format.js';

interface DeployOpts {
  apps?: string;
  json?: boolean;
  force?: boolean;
  interval?: string;
  timeout?: string;
}

/** A duration flag: `500ms`, `30secs`, or a bare number of seconds. */
export function parseWait(text: string, what: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  try {
    return parseDuration(text);
  } catch {
    throw new CliError(`${what} must be a duration such as 500ms or 30secs, got '${text}'`, EXIT.usage);
  }
}

async function appsOf(client: AppsClient, d: DeploymentJson): Promise<Map<string, AppJson>> {
  const out = new Map<string, AppJson>();
  for (const id of d.affectedApps ?? []) {
    try {
      out.set(id, (await client.get<{ app: AppJson }>(`/v2/apps${appPath(id)}`)).app);
    } catch (e: unknown) {
      // A deleted app (stop step) has no record any more.
      if (!(e instanceof AppsApiError && e.status === 404)) throw e;
    }
  }
  return out;
}

/**
 * Redraws a block of lines in place on a terminal; elsewhere prints the block only when a line other than
 * the first (a header whose elapsed time ticks) changed, so logs get one block per real change.
 */
export class LiveBlock {
  private shown: string[] = [];

  constructor(private readonly o: Output) {}

  render(lines: readonly string[]): void {
    if (!this.o.tty) {
      if (lines.slice(1).join('\n') !== this.shown.slice(1).join('\n')) for (const l of lines) this.o.out(l);
      this.shown = [...lines];
      return;
    }
    // Cursor up over the previous block, then rewrite each line and clear what is left of it.
    const up = this.shown.length > 0 ? `\x1b[${this.shown.length}A` : '';
    const body = lines.map((l) => `\x1b[2K${l}`).join('\n');
    const extra = this.shown.length > lines.length ? `\n\x1b[J` : '';
    this.o.out(`${up}\r${body}${extra}`);
    this.shown = [...lines];
  }
}

/** The command bodies, separated from commander so tests can drive them with a fake Output and clock. */
export const deployActions = {
  async list(client: AppsClient, o: Output, opts: DeployOpts): Promise<void> {
    const body = await client.get<DeploymentJson[]>('/v2/deployments');
    if (opts.json === true) return o.out(JSON.stringify(body, null, 2));
    for (const line of deploymentListLines(body)) o.out(line);
  },

  async cancel(client: AppsClient, o: Output, id: string, opts: DeployOpts): Promise<void> {
    const res = await client.call<{ deploymentId?: string }>('DELETE', `/v2/deployments/${encodeURIComponent(id)}${opts.force === true ? '?force=true' : ''}`);
    if (opts.force === true) return o.out(`Cancelled deployment ${id} without rollback`);
    const rollback = typeof res.body === 'object' && res.body !== null ? res.body.deploymentId : undefined;
    o.out(`Cancelled deployment ${id}${rollback !== undefined ? `; rolling back in deployment ${rollback}` : ''}`);
  },

  /**
   * Returns 0 once the deployment is gone and its apps reached the goal, EXIT.apiError when it is gone without
   * (cancelled or superseded), EXIT.timeout if `timeoutMs` passes first.
   */
  async watch(client: AppsClient, o: Output, id: string, w: { intervalMs: number; timeoutMs: number; clock: Clock }): Promise<number> {
    const start = w.clock.now();
    const live = new LiveBlock(o);
    let seen: DeploymentJson | undefined;
    for (;;) {
      const list = await client.get<DeploymentJson[]>('/v2/deployments');
      const d = list.find((x) => x.id === id);
      if (d === undefined) {
        if (seen === undefined) throw new CliError(`deployment ${id} is not in progress (finished, cancelled or unknown); see agora deploy list`, EXIT.apiError);
        const after = (w.clock.now() - start) / 1000;
        if (deploymentReachedGoal(seen, await appsOf(client, seen))) {
          o.out(`deployment ${id} finished after ${after.toFixed(1)}s`);
          return EXIT.ok;
        }
        o.out(`deployment ${id} ended after ${after.toFixed(1)}s without reaching its goal (cancelled or superseded)`);
        return EXIT.apiError;
      }
      seen = d;
      live.render(watchLines(d, await appsOf(client, d), w.clock.now() - start));
      if (w.timeoutMs > 0 && w.clock.now() - start >= w.timeoutMs) {
        o.err(`error: deployment ${id} still running after ${(w.timeoutMs / 1000).toFixed(0)}s`);
        return EXIT.timeout;
      }
      await sleep(w.clock, w.intervalMs);
    }
  },
};

/** `agora deploy …`; `--apps` is accepted before or after the sub-command. */
export function deployCommand(output: Output = processOutput): Command {
  const cmd = new Command('deploy').description('deployments of agora apps (Marathon /v2 API)').option('--apps <url>', 'agora apps URL (env AGORA_APPS)');
  const run = (c: Command, body: (client: AppsClient, opts: DeployOpts) => Promise<number | void>): Promise<void> =>
    runClientCommand(async () => {
      const opts = c.optsWithGlobals<DeployOpts>();
      return body(new AppsClient(appsBaseUrl(opts.apps)), opts);
    }, output);

  cmd.command('list')
    .description('deployments in progress')
    .option('--json', 'print the API JSON')
    .action((_o: unknown, c: Command) => run(c, (cl, opts) => deployActions.list(cl, output, opts)));
  cmd.command('watch')
    .description("live progress of a deployment's steps; ends when it finishes")
    .argument('<id>')
    .option('--interval <duration>', 'poll period', '500ms')
    .option('--timeout <duration>', 'give up after this long (0 = never)', '0')
    .action((id: string, _o: unknown, c: Command) =>
      run(c, async (cl, opts) => {
        const w = { intervalMs: parseWait(opts.interval ?? '500ms', '--interval'), timeoutMs: parseWait(opts.timeout ?? '0', '--timeout'), clock: new SystemClock() };
        // The clock's timers do not hold the process open; between polls nothing else would.
        const release = holdProcessOpen();
        try {
          return await deployActions.watch(cl, output, id, w);
        } finally {
          release();
        }
      }),
    );
  cmd.command('cancel')
    .description('cancel a deployment: roll back, or with --force just stop it')
    .argument('<id>')
    .option('--force', 'stop without rollback')
    .action((id: string, _o: unknown, c: Command) => run(c, (cl, opts) => deployActions.cancel(cl, output, id, opts)));
  return cmd;
}
