/**
 * Pure text rendering for `agora app` and `agora deploy`: tables of apps, tasks and deployments, the
 * detail view of an app, the placement rejection summary (`why`) and the deployment progress display.
 * Inputs are the `/v2` JSON shapes (loosely typed: fields may be missing on other Marathon versions).
 */

export interface AppJson {
  id: string;
  cmd?: string | null;
  args?: string[] | null;
  instances?: number;
  cpus?: number;
  mem?: number;
  disk?: number;
  version?: string;
  tasksRunning?: number;
  tasksStaged?: number;
  tasksHealthy?: number;
  tasksUnhealthy?: number;
  deployments?: { id: string }[];
  constraints?: unknown[];
  labels?: Record<string, string>;
  env?: Record<string, unknown>;
  portDefinitions?: { port?: number; name?: string; protocol?: string }[];
  healthChecks?: { protocol?: string; path?: string }[];
  lastTaskFailure?: { state?: string; message?: string; timestamp?: string; taskId?: string };
  tasks?: TaskJson[];
}

export interface TaskJson {
  id: string;
  appId?: string;
  state?: string;
  host?: string;
  ports?: number[];
  startedAt?: string | null;
  stagedAt?: string | null;
  version?: string;
  healthCheckResults?: { alive?: boolean }[];
}

export interface DeploymentJson {
  id: string;
  version?: string;
  affectedApps?: string[];
  steps?: { actions: { action: string; app: string }[] }[];
  currentActions?: { action: string; app: string; readinessCheckResults?: unknown[] }[];
  currentStep?: number;
  totalSteps?: number;
}

export interface QueueItemJson {
  count?: number;
  delay?: { timeLeftSeconds?: number; overdue?: boolean };
  since?: string;
  app?: { id: string };
  processedOffersSummary?: {
    processedOffersCount?: number;
    unusedOffersCount?: number;
    lastUnusedOfferAt?: string;
    lastUsedOfferAt?: string;
    rejectSummaryLastOffers?: { reason: string; declined: number; processed: number }[];
  };
  lastUnusedOffers?: { offer?: { hostname?: string; agentId?: { value?: string } | string }; reason?: string[] }[];
}

/** Left-aligned columns separated by two spaces; numbers right-aligned. No trailing spaces. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  const all = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) =>
    r
      .map((cell, i) => {
        const w = widths[i] ?? 0;
        return typeof cell === 'number' ? String(cell).padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd(),
  );
}

function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function commandOf(app: AppJson): string {
  if (app.cmd !== undefined && app.cmd !== null) return app.cmd;
  if (Array.isArray(app.args)) return app.args.join(' ');
  return '';
}

/** `agora app list`. */
export function appListLines(apps: readonly AppJson[]): string[] {
  if (apps.length === 0) return ['No apps.'];
  return table(
    ['ID', 'INSTANCES', 'RUNNING', 'STAGED', 'HEALTHY', 'CPUS', 'MEM', 'DEPLOYING', 'CMD'],
    apps.map((a) => [
      a.id,
      a.instances ?? 0,
      a.tasksRunning ?? 0,
      a.tasksStaged ?? 0,
      a.tasksHealthy ?? 0,
      a.cpus ?? 0,
      a.mem ?? 0,
      (a.deployments ?? []).length > 0 ? 'yes' : 'no',
      shorten(commandOf(a), 40),
    ]),
  );
}

/** `agora app tasks`. */
export function taskLines(tasks: readonly TaskJson[]): string[] {
  if (tasks.length === 0) return ['No tasks.'];
  return table(
    ['ID', 'STATE', 'HOST', 'PORTS', 'STARTED', 'HEALTH'],
    tasks.map((t) => [t.id, t.state ?? '?', t.host ?? '', (t.ports ?? []).join(','), t.startedAt ?? '-', healthOf(t)]),
  );
}

function healthOf(t: TaskJson): string {
  const r = t.healthCheckResults ?? [];
  if (r.length === 0) return '-';
  return r.every((x) => x.alive === true) ? 'healthy' : 'unhealthy';
}

/** `agora app show`: the main fields, then its tasks. */
export function appShowLines(app: AppJson): string[] {
  const lines = [
    `id:          ${app.id}`,
    `cmd:         ${commandOf(app)}`,
    `instances:   ${app.instances ?? 0} (running ${app.tasksRunning ?? 0}, staged ${app.tasksStaged ?? 0}, healthy ${app.tasksHealthy ?? 0}, unhealthy ${app.tasksUnhealthy ?? 0})`,
    `resources:   cpus ${app.cpus ?? 0}, mem ${app.mem ?? 0} MB, disk ${app.disk ?? 0} MB`,
    `version:     ${app.version ?? '-'}`,
  ];
  const ports = (app.portDefinitions ?? []).map((p) => (p.name !== undefined ? `${p.port ?? 0}(${p.name})` : String(p.port ?? 0)));
  if (ports.length > 0) lines.push(`ports:       ${ports.join(', ')}`);
  if ((app.constraints ?? []).length > 0) lines.push(`constraints: ${JSON.stringify(app.constraints)}`);
  const labels = Object.entries(app.labels ?? {});
  if (labels.length > 0) lines.push(`labels:      ${labels.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  const checks = (app.healthChecks ?? []).map((h) => `${h.protocol ?? '?'}${h.path !== undefined ? ` ${h.path}` : ''}`);
  if (checks.length > 0) lines.push(`health:      ${checks.join(', ')}`);
  const deps = (app.deployments ?? []).map((d) => d.id);
  lines.push(`deployments: ${deps.length > 0 ? deps.join(', ') : 'none'}`);
  const f = app.lastTaskFailure;
  if (f !== undefined) lines.push(`last failure: ${f.state ?? '?'} ${f.message ?? ''} at ${f.timestamp ?? '?'}`.trimEnd());
  if (app.tasks !== undefined) lines.push('', ...taskLines(app.tasks));
  return lines;
}

/** `agora app why`: why instances of the app wait (launch delay, the offer rejection funnel, last offers). */
export function whyLines(appId: string, item: QueueItemJson | undefined): string[] {
  if (item === undefined) return [`${appId}: no instance is waiting to be placed.`];
  const lines = [`${appId}: ${item.count ?? 0} instance(s) waiting since ${item.since ?? '?'}`];
  const d = item.delay;
  if (d !== undefined && (d.timeLeftSeconds ?? 0) > 0) lines.push(`launch delayed (backoff): ${d.timeLeftSeconds ?? 0}s left`);
  const s = item.processedOffersSummary;
  const funnel = s?.rejectSummaryLastOffers ?? [];
  if (s === undefined || (s.processedOffersCount ?? 0) === 0) {
    lines.push('no offer has been processed for it yet (no agent with free resources offered?)');
  } else {
    lines.push(`offers processed: ${s.processedOffersCount ?? 0}, unused: ${s.unusedOffersCount ?? 0}`);
    lines.push('', ...table(['REASON', 'DECLINED', 'PROCESSED'], funnel.map((r) => [r.reason, r.declined, r.processed])));
    const top = [...funnel].sort((a, b) => b.declined - a.declined)[0];
    if (top !== undefined && top.declined > 0) lines.push('', `most offers were rejected by: ${top.reason}`);
    else lines.push('', 'no offer was rejected: the instances wait for the next offers (launches per offer are limited)');
  }
  const last = item.lastUnusedOffers ?? [];
  if (last.length > 0) {
    lines.push('', 'last unused offers:');
    for (const o of last.slice(-5)) lines.push(`  ${o.offer?.hostname ?? '?'}: ${(o.reason ?? []).join(', ')}`);
  }
  return lines;
}

/** `agora deploy list`. */
export function deploymentListLines(deployments: readonly DeploymentJson[]): string[] {
  if (deployments.length === 0) return ['No deployments.'];
  return table(
    ['ID', 'APPS', 'STEP', 'ACTIONS', 'VERSION'],
    deployments.map((d) => [
      d.id,
      (d.affectedApps ?? []).join(','),
      `${d.currentStep ?? 0}/${d.totalSteps ?? 0}`,
      (d.currentActions ?? []).map((a) => `${a.action} ${a.app}`).join(', '),
      d.version ?? '',
    ]),
  );
}

/** A 20-cell bar: `[#######.............]`. */
export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Instances of the app that count as done for a deployment step (running, and healthy if it has checks). */
export function readyCount(app: AppJson): number {
  return (app.healthChecks ?? []).length > 0 ? (app.tasksHealthy ?? 0) : (app.tasksRunning ?? 0);
}

/**
 * The live display of one deployment: a header, then one line per step with each action's progress
 * (instances ready / wanted, from the app's counts; a stop step counts down to 0).
 */
export function watchLines(d: DeploymentJson, apps: ReadonlyMap<string, AppJson>, elapsedMs: number): string[] {
  const steps = d.steps ?? [];
  const current = d.currentStep ?? steps.length;
  const lines = [`deployment ${d.id}  (${(elapsedMs / 1000).toFixed(1)}s)`];
  steps.forEach((step, i) => {
    const mark = i + 1 < current ? 'done' : i + 1 === current ? 'now ' : 'wait';
    for (const a of step.actions) {
      const app = apps.get(a.app);
      let progress = '';
      if (app !== undefined) {
        const ready = readyCount(app);
        if (a.action === 'StopApplication') progress = `${progressBar((app.instances ?? 0) - ready, app.instances ?? 0)} ${ready} left`;
        else progress = `${progressBar(ready, app.instances ?? 0)} ${ready}/${app.instances ?? 0} ready`;
        if ((app.tasksStaged ?? 0) > 0) progress += `, ${app.tasksStaged ?? 0} staging`;
      } else if (a.action === 'StopApplication') {
        progress = `${progressBar(1, 1)} stopped`;
      }
      lines.push(`  step ${i + 1}/${steps.length} [${mark}] ${a.action} ${a.app} ${progress}`.trimEnd());
    }
  });
  return lines;
}

/**
 * Whether a deployment that left the list reached its goal, judged from the apps afterwards: every app at its
 * instance count with nothing staging (a stopped app gone). Otherwise it was cancelled or superseded.
 */
export function deploymentReachedGoal(d: DeploymentJson, apps: ReadonlyMap<string, AppJson>): boolean {
  const last = d.steps?.at(-1)?.actions ?? [];
  return last.every((a) => {
    const app = apps.get(a.app);
    if (a.action === 'StopApplication') return app === undefined;
    return app !== undefined && readyCount(app) === (app.instances ?? 0) && (app.tasksStaged ?? 0) === 0;
  });
}
