/**
 * Runs Marathon-level health checks (HTTP, HTTPS, TCP) of running instances: first probe min(interval, 5 s)
 * after the instance is running, then every intervalSeconds; results are applied inside the state's serial
 * queue; an instance failing past maxConsecutiveFailures is killed (and replaced by the reconciler).
 */
import type { Logger } from '../../core/log.js';
import type { AppsState } from '../service/state.js';
import type { HealthCheck } from '../model/app.js';
import type { Instance } from '../model/instance.js';
import { applyProbe, type ProbeResult } from './tracker.js';
import { probe as defaultProbe } from './probes.js';
import { publishHealthChange } from '../events/catalog.js';

export type Prober = (check: HealthCheck, host: string, ports: readonly number[]) => Promise<ProbeResult> | undefined;

const MARATHON_LEVEL = new Set(['HTTP', 'HTTPS', 'TCP']);

export class HealthMonitor {
  private readonly nextAt = new Map<string, number>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly state: AppsState,
    private readonly kill: (instanceId: string) => Promise<void>,
    private readonly log: Logger,
    private readonly prober: Prober = defaultProbe,
  ) {}

  /** Starts every probe that is due; results arrive asynchronously. Returns the started probes (tests await them). */
  tick(): Promise<void>[] {
    const now = this.state.clock.now();
    const started: Promise<void>[] = [];
    const live = new Set<string>();
    for (const inst of this.state.instances.values()) {
      if (inst.state !== 'TASK_RUNNING' || inst.goal !== 'running' || inst.host === undefined) continue;
      const app = this.state.apps.get(inst.appId);
      if (app === undefined || app.version === '' || inst.configVersion !== (app.versionInfo?.lastConfigChangeAt ?? app.version)) continue;
      app.healthChecks.forEach((check, idx) => {
        if (!MARATHON_LEVEL.has(check.protocol)) return;
        const key = `${inst.instanceId}/${idx}`;
        live.add(key);
        const due = this.nextAt.get(key) ?? (inst.startedAt ?? now) + Math.min(check.intervalSeconds, 5) * 1000;
        if (!this.nextAt.has(key)) this.nextAt.set(key, due);
        if (now < due || this.inFlight.has(key)) return;
        const p = this.prober(check, inst.host ?? '', inst.ports);
        if (p === undefined) return;
        this.inFlight.add(key);
        this.nextAt.set(key, now + check.intervalSeconds * 1000);
        started.push(p.then((r) => this.apply(inst.instanceId, check, r)).finally(() => this.inFlight.delete(key)));
      });
    }
    for (const k of [...this.nextAt.keys()]) if (!live.has(k)) this.nextAt.delete(k);
    return started;
  }

  private apply(instanceId: string, check: HealthCheck, r: ProbeResult): Promise<void> {
    return this.state.serial(async () => {
      const inst: Instance | undefined = this.state.instances.get(instanceId);
      if (inst === undefined || inst.goal !== 'running') return;
      const now = this.state.clock.now();
      const out = applyProbe(inst.health, r, check, inst.startedAt ?? now, now);
      if (out.health !== inst.health) await this.state.saveInstance({ ...inst, health: out.health });
      const ev = this.state.events;
      if (out.counted) ev.publish('failed_health_check_event', { appId: inst.appId, taskId: inst.instanceId, healthCheck: check });
      if (out.changed) publishHealthChange(ev, inst, r.ok);
      if (out.kill) {
        ev.publish('unhealthy_instance_kill_event', {
          appId: inst.appId, taskId: inst.taskId, instanceId, version: inst.appVersion, reason: r.cause ?? 'health check failed', host: inst.host ?? '',
          ...(inst.agentId !== undefined ? { slaveId: inst.agentId } : {}),
        });
        this.log.info({ instanceId, cause: r.cause }, 'killing unhealthy instance');
        await this.kill(instanceId);
      }
    });
  }
}
