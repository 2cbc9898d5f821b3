/**
 * `agora job add|list|show|run|kill|history|remove|graph`: a client of the Chronos API of `agora jobs`
 * (`--jobs URL`, env AGORA_JOBS, default http://127.0.0.1:4400). It speaks the `/v1/scheduler` dialect, so
 * it also works against a real Chronos. Errors print upstream's message; exit codes are EXIT in
 * apps-client.ts (1 API error, 2 usage, 3 unreachable).
 */
import { Command } from 'commander';
import { AppsClient, CliError, EXIT, processOutput, runClientCommand, serviceBaseUrl, type Output } from './apps-client.js';
import { readDefinition } from './app.js';
import { jobListLines, jobShowLines, runLines, type JobJson, type JobSummaryJson, type RunJson } from './jobs-format.js';

const API = '/v1/scheduler';

interface GlobalOpts {
  jobs?: string;
  json?: boolean;
}

/** `--jobs`, else AGORA_JOBS, else http://127.0.0.1:4400. */
export function jobsBaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return serviceBaseUrl(flag ?? env['AGORA_JOBS'] ?? 'http://127.0.0.1:4400');
}

/** A job name as a URL segment; Chronos names are `[\w.-]+`, so anything else is a usage error here. */
export function jobSegment(name: string): string {
  const n = name.trim();
  if (!/^[\w.-]+$/.test(n)) throw new CliError(`'${name}' is not a job name (letters, digits, '_', '.', '-')`, EXIT.usage);
  return encodeURIComponent(n);
}

/** Dependent jobs (with `parents`) go to `/dependency`, scheduled ones to `/iso8601`, as Chronos requires. */
export function jobEndpoint(def: Record<string, unknown>): string {
  const parents = def['parents'];
  return Array.isArray(parents) && parents.length > 0 ? `${API}/dependency` : `${API}/iso8601`;
}

/** The command bodies, separated from commander so tests can call them with a fake client and Output. */
export const jobActions = {
  async add(client: AppsClient, o: Output, file: string, read?: (f: string) => string): Promise<void> {
    const def = read !== undefined ? readDefinition(file, read) : readDefinition(file);
    if (typeof def['name'] !== 'string') throw new CliError(`${file}: a job needs a "name"`, EXIT.usage);
    const name = def['name'];
    const known = await client.get<{ jobs: JobSummaryJson[] }>(`${API}/jobs/summary`);
    const exists = known.jobs.some((j) => j.name === name);
    await client.call('POST', jobEndpoint(def), def);
    o.out(`${exists ? 'Replaced' : 'Added'} job ${name}`);
  },
  async list(client: AppsClient, o: Output, opts: GlobalOpts): Promise<void> {
    const body = await client.get<{ jobs: JobSummaryJson[] }>(`${API}/jobs/summary`);
    if (opts.json === true) return o.out(JSON.stringify(body.jobs, null, 2));
    for (const line of jobListLines(body.jobs)) o.out(line);
  },
  async show(client: AppsClient, o: Output, name: string, opts: GlobalOpts): Promise<void> {
    const job = await client.get<JobJson>(`${API}/job/${jobSegment(name)}`);
    if (opts.json === true) return o.out(JSON.stringify(job, null, 2));
    for (const line of jobShowLines(job)) o.out(line);
  },
  async run(client: AppsClient, o: Output, name: string, args: string | undefined): Promise<void> {
    const q = args !== undefined ? `?arguments=${encodeURIComponent(args)}` : '';
    await client.call('PUT', `${API}/job/${jobSegment(name)}${q}`);
    o.out(`Started a manual run of ${name.trim()}`);
  },
  async kill(client: AppsClient, o: Output, name: string): Promise<void> {
    await client.call('DELETE', `${API}/task/kill/${jobSegment(name)}`);
    o.out(`Killing the tasks of ${name.trim()}`);
  },
  async history(client: AppsClient, o: Output, name: string, opts: GlobalOpts): Promise<void> {
    const runs = await client.get<RunJson[]>(`${API}/job/${jobSegment(name)}/runs`);
    if (opts.json === true) return o.out(JSON.stringify(runs, null, 2));
    for (const line of runLines(runs)) o.out(line);
  },
  async remove(client: AppsClient, o: Output, name: string, cascade: string | undefined): Promise<void> {
    if (cascade !== undefined && cascade !== 'reparent' && cascade !== 'convert') throw new CliError(`--cascade must be 'reparent' or 'convert', got '${cascade}'`, EXIT.usage);
    await client.call('DELETE', `${API}/job/${jobSegment(name)}${cascade !== undefined ? `?cascade=${cascade}` : ''}`);
    o.out(`Removed job ${name.trim()}`);
  },
  async graph(client: AppsClient, o: Output, csv: boolean): Promise<void> {
    const text = await client.get<string>(`${API}/graph/${csv ? 'csv' : 'dot'}`);
    o.out(String(text).replace(/\n+$/, ''));
  },
};

/** `agora job …`; `--jobs` is accepted before or after the sub-command. */
export function jobCommand(output: Output = processOutput): Command {
  const cmd = new Command('job').description('manage jobs of agora jobs (Chronos API)').option('--jobs <url>', 'agora jobs URL (env AGORA_JOBS)');
  const sub = (name: string, description: string): Command => cmd.command(name).description(description);
  const run = (c: Command, body: (client: AppsClient, opts: GlobalOpts) => Promise<void>): Promise<void> =>
    runClientCommand(async () => {
      const opts = c.optsWithGlobals<GlobalOpts>();
      await body(new AppsClient(jobsBaseUrl(opts.jobs), { name: 'agora jobs', flag: '--jobs', env: 'AGORA_JOBS' }), opts);
    }, output);

  sub('add', 'add or replace a job from a Chronos JSON file (- for stdin); jobs with parents are dependent jobs')
    .argument('<file>')
    .action((file: string, _o: unknown, c: Command) => run(c, (cl) => jobActions.add(cl, output, file)));
  sub('list', 'list jobs with their state and last result')
    .option('--json', 'print the API JSON')
    .action((_o: unknown, c: Command) => run(c, (cl, opts) => jobActions.list(cl, output, opts)));
  sub('show', 'show a job')
    .argument('<name>')
    .option('--json', 'print the API JSON')
    .action((name: string, _o: unknown, c: Command) => run(c, (cl, opts) => jobActions.show(cl, output, name, opts)));
  sub('run', 'start a job now (does not consume its schedule)')
    .argument('<name>')
    .option('--arguments <args>', 'extra arguments for this run')
    .action((name: string, o: { arguments?: string }, c: Command) => run(c, (cl) => jobActions.run(cl, output, name, o.arguments)));
  sub('kill', "kill a job's running tasks")
    .argument('<name>')
    .action((name: string, _o: unknown, c: Command) => run(c, (cl) => jobActions.kill(cl, output, name)));
  sub('history', "a job's runs, newest first (attempts, times, task ids)")
    .argument('<name>')
    .option('--json', 'print the API JSON')
    .action((name: string, _o: unknown, c: Command) => run(c, (cl, opts) => jobActions.history(cl, output, name, opts)));
  sub('remove', 'delete a job (a parent with children needs --cascade)')
    .argument('<name>')
    .option('--cascade <how>', "what happens to children: 'reparent' or 'convert'")
    .action((name: string, o: { cascade?: string }, c: Command) => run(c, (cl) => jobActions.remove(cl, output, name, o.cascade)));
  sub('graph', 'the dependency graph (DOT, or CSV with --csv)')
    .option('--csv', 'CSV with each job state')
    .action((o: { csv?: boolean }, c: Command) => run(c, (cl) => jobActions.graph(cl, output, o.csv === true)));
  return cmd;
}
