/** In-process apps framework for unit tests: MemoryStore, FakeClock, a recording Driver, Fastify inject. */
import type { FiltersJson, KillPolicyJson, OfferJson, TaskInfoJson, TaskStatusJson } from '../../../src/api/mesos/common.js';
import { FakeClock } from '../../../src/core/clock.js';
import { SeededRng } from '../../../src/core/rng.js';
import { silentLogger } from '../../../src/core/log.js';
import { MemoryStore } from '../../../src/coordination/index.js';
import { createHttpServer } from '../../../src/transport/http-server.js';
import { AppsRepo } from '../../../src/apps/state/repo.js';
import { AppsState } from '../../../src/apps/service/state.js';
import { AppsRuntime } from '../../../src/apps/service/runtime.js';
import { AppChanges } from '../../../src/apps/service/app-changes.js';
import { AppsQueries } from '../../../src/apps/http/queries.js';
import { registerRoutes } from '../../../src/apps/http/routes.js';
import { HealthMonitor, type Prober } from '../../../src/apps/health/monitor.js';
import type { Driver } from '../../../src/apps/service/driver.js';

export class RecordingDriver implements Driver {
  readonly launched: { offerIds: readonly string[]; tasks: readonly TaskInfoJson[]; filters?: FiltersJson }[] = [];
  readonly declined: string[] = [];
  readonly killed: string[] = [];
  readonly acked: string[] = [];
  revives = 0;
  isSubscribed = true;
  async launch(offerIds: readonly string[], tasks: readonly TaskInfoJson[], filters?: FiltersJson): Promise<void> {
    this.launched.push({ offerIds, tasks, ...(filters !== undefined ? { filters } : {}) });
  }
  async decline(offerIds: readonly string[], _filters?: FiltersJson): Promise<void> {
    this.declined.push(...offerIds);
  }
  async kill(taskId: string, _agentId?: string, _kp?: KillPolicyJson): Promise<void> {
    this.killed.push(taskId);
  }
  async acknowledgeUpdate(status: TaskStatusJson): Promise<boolean> {
    if (status.uuid !== undefined) this.acked.push(status.uuid);
    return status.uuid !== undefined;
  }
  async revive(): Promise<void> {
    this.revives++;
  }
  async reconcile(): Promise<void> {}
  get tasks(): TaskInfoJson[] {
    return this.launched.flatMap((l) => [...l.tasks]);
  }
}

let offerSeq = 0;
export function offer(host: string, opts: { cpus?: number; mem?: number; ports?: [number, number]; attributes?: OfferJson['attributes'] } = {}): OfferJson {
  offerSeq++;
  return {
    id: { value: `offer-${offerSeq}` }, framework_id: { value: 'fw' }, agent_id: { value: `agent-${host}` }, hostname: host,
    url: { scheme: 'http', address: { hostname: host, ip: '127.0.0.1', port: 5051 }, path: '/slave(1)' },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: opts.cpus ?? 4 }, role: '*', allocation_info: { role: '*' } },
      { name: 'mem', type: 'SCALAR', scalar: { value: opts.mem ?? 4096 }, role: '*', allocation_info: { role: '*' } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: (opts.ports ?? [31000, 31100])[0], end: (opts.ports ?? [31000, 31100])[1] }] }, role: '*', allocation_info: { role: '*' } },
    ],
    attributes: opts.attributes ?? [],
  };
}

let uuidSeq = 0;
export function harness(prober?: Prober) {
  const clock = new FakeClock();
  const store = new MemoryStore();
  const repo = new AppsRepo(store);
  const state = new AppsState(repo, clock);
  const driver = new RecordingDriver();
  const uuid = () => `00000000-0000-0000-0000-${String(++uuidSeq).padStart(12, '0')}`;
  const runtime = new AppsRuntime(state, driver, new SeededRng(7), silentLogger(), { maxInstancesPerOffer: 5, declineOfferSeconds: 120, minReviveMs: 0, killRetryMs: 30_000 }, uuid);
  const changes = new AppChanges(state, { min: 10000, max: 20000 }, (id) => runtime.reconcileUnserialized(id), (id) => runtime.decommissionUnserialized(id), uuid);
  const health = new HealthMonitor(state, (id) => runtime.decommissionUnserialized(id), silentLogger(), prober);
  const http = createHttpServer();
  registerRoutes(http, {
    state, changes, queries: new AppsQueries(state), baseUrl: () => 'http://apps.test:8080', info: () => ({ name: 'marathon' }),
    appVersion: (id, v) => repo.appVersion(id, v), appVersions: (id) => repo.appVersions(id),
  });
  const inject = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) => {
    const res = await http.inject({ method, url, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    return { status: res.statusCode, json: res.body === '' ? undefined : (JSON.parse(res.body) as Record<string, unknown>), headers: res.headers };
  };
  /** Sends a status update for a launched task. */
  const update = (taskId: string, stateName: TaskStatusJson['state'], extra: Partial<TaskStatusJson> = {}) =>
    runtime.onUpdate({ task_id: { value: taskId }, state: stateName, uuid: `u-${taskId}-${stateName}`, agent_id: { value: 'agent-x' }, ...extra });
  return { clock, store, repo, state, driver, runtime, changes, health, http, inject, update };
}
