/**
 * Readiness checks (spec §4.5): while a deployment of the app is running, each running instance of the current
 * config that is not ready yet is polled every intervalSeconds at `protocol://host:<port named portName><path>`;
 * it is ready when the status is in httpStatusCodesForReady. Restart progress and deployment completion wait
 * for readiness (reconcile/reconciler.ts, service/runtime.ts).
 */
import type { AppsState } from '../service/state.js';
import type { AppDefinition, ReadinessCheck } from '../model/app.js';
import type { Instance, ReadinessResult } from '../model/instance.js';
import { fetchReadiness } from './probes.js';

export type ReadinessFetcher = typeof fetchReadiness;

/** Ready as far as readiness checks go (always true for apps without them). */
export function isReady(app: AppDefinition, i: Instance): boolean {
  return app.readinessChecks.length === 0 || i.readiness?.ready === true;
}

export class ReadinessMonitor {
  private readonly nextAt = new Map<string, number>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly state: AppsState,
    private readonly fetcher: ReadinessFetcher = fetchReadiness,
  ) {}

  tick(): Promise<void>[] {
    const now = this.state.clock.now();
    const started: Promise<void>[] = [];
    for (const inst of this.state.instances.values()) {
      const app = this.state.apps.get(inst.appId);
      const check = app?.readinessChecks[0];
      if (app === undefined || check === undefined || inst.readiness?.ready === true) continue;
      if (inst.state !== 'TASK_RUNNING' || inst.goal !== 'running' || inst.host === undefined) continue;
      if (inst.configVersion !== (app.versionInfo?.lastConfigChangeAt ?? app.version) || this.state.deploymentsOf(app.id).length === 0) continue;
      const key = inst.instanceId;
      if ((this.nextAt.get(key) ?? 0) > now || this.inFlight.has(key)) continue;
      const idx = app.portDefinitions.findIndex((p) => p.name === check.portName);
      const port = inst.ports[idx];
      if (port === undefined) continue;
      this.inFlight.add(key);
      this.nextAt.set(key, now + check.intervalSeconds * 1000);
      started.push(
        this.fetcher(check.protocol === 'HTTPS', inst.host, port, check.path, check.timeoutSeconds * 1000)
          .then((res) => this.apply(inst.instanceId, check, res))
          .finally(() => this.inFlight.delete(key)),
      );
    }
    return started;
  }

  private apply(instanceId: string, check: ReadinessCheck, res: { status: number; contentType: string; body: string } | undefined): Promise<void> {
    return this.state.serial(async () => {
      const inst = this.state.instances.get(instanceId);
      if (inst === undefined) return;
      const ready = res !== undefined && check.httpStatusCodesForReady.includes(res.status);
      const result: ReadinessResult = { ready, ...(check.preserveLastResponse && res !== undefined ? { lastResponse: res } : {}) };
      await this.state.saveInstance({ ...inst, readiness: result });
    });
  }
}
