/**
 * `agora app add|list|show|update|scale|restart|remove|tasks|why`: a client of the `/v2` API of `agora apps`
 * (`--apps URL`, env AGORA_APPS, default http://127.0.0.1:8080). API errors print upstream's message and 422
 * details on stderr; exit codes are EXIT in apps-client.ts (1 API error, 2 usage, 3 unreachable).
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { errorMessage } from '../core/errors.js';
import { AppsClient, CliError, EXIT, appPath, appsBaseUrl, normalizeAppId, processOutput, runClientCommand, type Output } from './apps-client.js';
import { appListLines, appShowLines, taskLines, whyLines, type AppJson, type QueueItemJson, type TaskJson } from './apps-format.js';

interface GlobalOpts {
  apps?: string;
  json?: boolean;
  force?: boolean;
}

/** Reads an app definition from a file (`-` = stdin); a syntax error is a usage error naming the file. */
export function readDefinition(file: string, read: (f: string) => string = (f) => readFileSync(f === '-' ? 0 : f, 'utf8')): Record<string, unknown> {
  let text: string;
  try {
    text = read(file);
  } catch (e: unknown) {
    throw new CliError(`cannot read ${file}: ${errorMessage(e)}`, EXIT.usage);
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e: unknown) {
    throw new CliError(`${file} is not valid JSON: ${errorMessage(e)}`, EXIT.usage);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError(`${file} must hold one JSON object (an app definition)`, EXIT.usage);
  return value as Record<string, unknown>;
}

/** A non-negative integer argument (instances). */
export function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new CliError(`${what} must be a non-negative integer, got '${text}'`, EXIT.usage);
  return Number(text.trim());
}

/** `KEY=VALUE` pairs of `update --set` into a partial app body; values parse as JSON when they can. */
export function parseSets(sets: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new CliError(`--set expects KEY=VALUE, got '${s}'`, EXIT.usage);
    const raw = s.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      value = raw;
    }
    out[s.slice(0, eq)] = value;
  }
  return out;
}

function forceQuery(force: boolean | undefined): string {
  return force === true ? '?force=true' : '';
}

function deploymentOf(headers: Readonly<Record<string, string | string[] | undefined>>, body: unknown): string | undefined {
  const h = headers['marathon-deployment-id'];
  if (typeof h === 'string') return h;
  if (typeof body === 'object' && body !== null && typeof (body as { deploymentId?: unknown }).deploymentId === 'string') return (body as { deploymentId: string }).deploymentId;
  return undefined;
}

function deploymentNote(id: string | undefined): string {
  return id === undefined ? '' : ` (deployment ${id}; follow it with: agora deploy watch ${id})`;
}

/** The command bodies, separated from commander so tests can call them with a fake Output. */
export const appActions = {
  async add(client: AppsClient, o: Output, file: string, opts: GlobalOpts): Promise<void> {
    const def = readDefinition(file);
    const res = await client.call<AppJson>('POST', `/v2/apps${forceQuery(opts.force)}`, def);
    if (opts.json === true) return o.out(JSON.stringify(res.body, null, 2));
    o.out(`Created app ${res.body.id}${deploymentNote(deploymentOf(res.headers, res.body))}`);
  },
  async list(client: AppsClient, o: Output, opts: GlobalOpts): Promise<void> {
    const body = await client.get<{ apps: AppJson[] }>('/v2/apps');
    if (opts.json === true) return o.out(JSON.stringify(body.apps, null, 2));
    for (const line of appListLines(body.apps)) o.out(line);
  },
  async show(client: AppsClient, o: Output, id: string, opts: GlobalOpts): Promise<void> {
    const body = await client.get<{ app: AppJson }>(`/v2/apps${appPath(id)}?embed=app.tasks&embed=app.lastTaskFailure`);
    if (opts.json === true) return o.out(JSON.stringify(body.app, null, 2));
    for (const line of appShowLines(body.app)) o.out(line);
  },
  async update(client: AppsClient, o: Output, id: string, file: string | undefined, sets: readonly string[], opts: GlobalOpts): Promise<void> {
    const patch = { ...(file !== undefined ? readDefinition(file) : {}), ...parseSets(sets) };
    if (Object.keys(patch).length === 0) throw new CliError('nothing to update: give a JSON file or --set KEY=VALUE', EXIT.usage);
    await put(client, o, id, patch, opts, 'Updated');
  },
  async scale(client: AppsClient, o: Output, id: string, instances: string, opts: GlobalOpts): Promise<void> {
    await put(client, o, id, { instances: parseCount(instances, 'instances') }, opts, 'Scaling');
  },
  async restart(client: AppsClient, o: Output, id: string, opts: GlobalOpts): Promise<void> {
    const res = await client.call('POST', `/v2/apps${appPath(id)}/restart${forceQuery(opts.force)}`);
    o.out(`Restarting ${normalizeAppId(id)}${deploymentNote(deploymentOf(res.headers, res.body))}`);
  },
  async remove(client: AppsClient, o: Output, id: string, opts: GlobalOpts): Promise<void> {
    const res = await client.call('DELETE', `/v2/apps${appPath(id)}${forceQuery(opts.force)}`);
    o.out(`Removing ${normalizeAppId(id)}${deploymentNote(deploymentOf(res.headers, res.body))}`);
  },
  async tasks(client: AppsClient, o: Output, id: string, opts: GlobalOpts): Promise<void> {
    const body = await client.get<{ tasks: TaskJson[] }>(`/v2/apps${appPath(id)}/tasks`);
    if (opts.json === true) return o.out(JSON.stringify(body.tasks, null, 2));
    for (const line of taskLines(body.tasks)) o.out(line);
  },
  async why(client: AppsClient, o: Output, id: string, opts: GlobalOpts): Promise<void> {
    const appId = normalizeAppId(id);
    // 404 for an unknown app, so "nothing waiting" is never said of an app that does not exist.
    await client.get(`/v2/apps${appPath(appId)}`);
    const body = await client.get<{ queue: QueueItemJson[] }>('/v2/queue');
    const item = body.queue.find((q) => q.app?.id === appId);
    if (opts.json === true) return o.out(JSON.stringify(item ?? null, null, 2));
    for (const line of whyLines(appId, item)) o.out(line);
  },
};

async function put(client: AppsClient, o: Output, id: string, patch: Record<string, unknown>, opts: GlobalOpts, verb: string): Promise<void> {
  const res = await client.call('PUT', `/v2/apps${appPath(id)}${forceQuery(opts.force)}`, patch);
  const what = 'instances' in patch && Object.keys(patch).length === 1 ? ` to ${String(patch['instances'])} instance(s)` : '';
  o.out(`${verb} ${normalizeAppId(id)}${what}${deploymentNote(deploymentOf(res.headers, res.body))}`);
}

function clientOf(cmd: Command): { client: AppsClient; opts: GlobalOpts } {
  const opts = cmd.optsWithGlobals<GlobalOpts>();
  return { client: new AppsClient(appsBaseUrl(opts.apps)), opts };
}

/** `agora app …`; `--apps` is accepted before or after the sub-command. */
export function appCommand(output: Output = processOutput): Command {
  const cmd = new Command('app').description('manage apps of agora apps (Marathon /v2 API)').option('--apps <url>', 'agora apps URL (env AGORA_APPS)');
  const sub = (name: string, description: string): Command => cmd.command(name).description(description).option('--json', 'print the API JSON');
  const run = (c: Command, body: (client: AppsClient, opts: GlobalOpts) => Promise<void>): Promise<void> =>
    runClientCommand(async () => {
      const { client, opts } = clientOf(c);
      await body(client, opts);
    }, output);

  sub('add', 'create an app from a JSON definition file (- for stdin)')
    .argument('<file>')
    .option('--force', 'override a deployment in progress')
    .action((file: string, _o: unknown, c: Command) => run(c, (cl, opts) => appActions.add(cl, output, file, opts)));
  sub('list', 'list apps with their instance counts').action((_o: unknown, c: Command) => run(c, (cl, opts) => appActions.list(cl, output, opts)));
  sub('show', 'show an app and its tasks')
    .argument('<id>')
    .action((id: string, _o: unknown, c: Command) => run(c, (cl, opts) => appActions.show(cl, output, id, opts)));
  sub('update', 'change an app (partial update) from a JSON file and/or --set KEY=VALUE')
    .argument('<id>')
    .argument('[file]')
    .option('--set <pair>', 'field=value (value parsed as JSON if possible); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--force', 'override a deployment in progress')
    .action((id: string, file: string | undefined, o: { set: string[] }, c: Command) => run(c, (cl, opts) => appActions.update(cl, output, id, file, o.set, opts)));
  sub('scale', 'set the number of instances')
    .argument('<id>')
    .argument('<instances>')
    .option('--force', 'override a deployment in progress')
    .action((id: string, n: string, _o: unknown, c: Command) => run(c, (cl, opts) => appActions.scale(cl, output, id, n, opts)));
  sub('restart', 'rolling restart of every instance')
    .argument('<id>')
    .option('--force', 'override a deployment in progress')
    .action((id: string, _o: unknown, c: Command) => run(c, (cl, opts) => appActions.restart(cl, output, id, opts)));
  sub('remove', 'delete an app and kill its tasks')
    .argument('<id>')
    .option('--force', 'override a deployment in progress')
    .action((id: string, _o: unknown, c: Command) => run(c, (cl, opts) => appActions.remove(cl, output, id, opts)));
  sub('tasks', "list an app's tasks")
    .argument('<id>')
    .action((id: string, _o: unknown, c: Command) => run(c, (cl, opts) => appActions.tasks(cl, output, id, opts)));
  sub('why', 'why instances of an app are not placed (offer rejection summary of the queue)')
    .argument('<id>')
    .action((id: string, _o: unknown, c: Command) => run(c, (cl, opts) => appActions.why(cl, output, id, opts)));
  return cmd;
}
