/**
 * Runs HAProxy for `agora lb`: the master-worker process (`haproxy -W -S <master socket> -f <config>`) is our
 * child. Each new config is written to `<config>.tmp`, validated with `haproxy -c`, and only then renamed over
 * the live file and loaded with SIGUSR2 (the master starts new workers that take over the listening sockets;
 * old workers finish their connections), so a bad config never replaces the last good one. When only server
 * membership changed, the runtime API updates server slots instead (slot-plan.ts). When the whole config
 * fails validation, apps are re-added one at a time and each app whose addition fails is rejected (as
 * marathon-lb does), so one bad app does not block the others.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { sleep, type Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { ApplyOutcome, DriverStatus, ProxyDriver } from './driver.js';
import { renderHaproxyConfig, slotCount, type HaproxyRenderOptions } from './haproxy-config.js';
import type { LbAppError, LbModel } from './model.js';
import { pidFromInfo, runtimeCommand, runtimeFailures } from './runtime-api.js';
import { initialSlots, planUpdate, type SlotTable } from './slot-plan.js';

export interface HaproxyDriverOptions {
  readonly bin: string;
  /** Live config file; `<configPath>.tmp` is the candidate, `<configPath>.failed` the last refused one. */
  readonly configPath: string;
  /** Directory of the admin and master sockets. */
  readonly runDir: string;
  readonly render: Omit<HaproxyRenderOptions, 'adminSocket'>;
  /** Most apps tried one by one when a config fails validation (beyond: keep the last good config). */
  readonly maxBisectApps?: number;
}

interface Live {
  readonly model: LbModel;
  readonly structure: string;
  slots: SlotTable;
  readonly rejected: readonly LbAppError[];
  /** Structure of the refused apps' services when they were refused. */
  readonly rejectedKey: string;
}

/** `haproxy -c -f file`: undefined when valid, else HAProxy's alert lines. */
export function validateConfig(bin: string, file: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(bin, ['-c', '-f', file], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err === null) resolve(undefined);
      else resolve(`${stdout}${stderr}`.split('\n').filter((l) => l.includes('ALERT') || l.includes('rror')).join('\n').trim() || errorMessage(err));
    });
  });
}

/** The HAProxy driver; call `apply` serially. */
export class HaproxyDriver implements ProxyDriver {
  private child: ChildProcess | undefined;
  private exited = true;
  private live: Live | undefined;
  private reloads = 0;
  private runtimeUpdates = 0;
  private validationFailures = 0;
  private lastError: string | undefined;
  private workerPid: number | undefined;
  /** Text of the live config, written back when a reload of a validated file still fails (e.g. a port in use). */
  private goodText: string | undefined;
  private readonly render: HaproxyRenderOptions;

  constructor(
    private readonly o: HaproxyDriverOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.render = { ...o.render, adminSocket: this.adminSocket };
  }

  get adminSocket(): string {
    return join(this.o.runDir, 'admin.sock');
  }

  get masterSocket(): string {
    return join(this.o.runDir, 'master.sock');
  }

  async apply(model: LbModel): Promise<ApplyOutcome> {
    // Apps HAProxy refused stay out until their own configuration changes (then they are validated again).
    if (this.live !== undefined && !this.exited && this.rejectedKey(model, this.live.rejected) === this.live.rejectedKey) {
      const next = this.withoutRejected(model, this.live.rejected);
      const plan = planUpdate(this.live.structure, this.live.slots, this.structureOf(next), next);
      if (plan.kind === 'none') return { action: 'none', rejected: this.live.rejected };
      if (plan.kind === 'runtime') {
        try {
          const answer = await runtimeCommand(this.adminSocket, plan.commands);
          const failures = runtimeFailures(answer);
          if (failures.length === 0) {
            this.runtimeUpdates++;
            this.live.slots = plan.slots;
            this.logger.info({ commands: plan.commands.length }, 'servers updated through the HAProxy runtime API');
            return { action: 'runtime', rejected: this.live.rejected };
          }
          this.logger.warn({ failures }, 'runtime API refused a change; reloading instead');
        } catch (e: unknown) {
          this.logger.warn({ err: errorMessage(e) }, 'runtime API unavailable; reloading instead');
        }
      } else {
        this.logger.info({ reason: plan.reason }, 'reloading HAProxy');
      }
    }
    return this.load(model);
  }

  /** Validates (bisecting by app when needed), installs and (re)loads a full config. */
  private async load(model: LbModel): Promise<ApplyOutcome> {
    let text = renderHaproxyConfig(model, this.render);
    let kept = model;
    let rejected: LbAppError[] = [];
    const tmp = `${this.o.configPath}.tmp`;
    writeFileSync(tmp, text);
    const error = await validateConfig(this.o.bin, tmp);
    if (error !== undefined) {
      this.validationFailures++;
      writeFileSync(`${this.o.configPath}.failed`, text);
      this.logger.error({ error }, `HAProxy refused the new configuration (kept in ${this.o.configPath}.failed); finding the apps that break it`);
      const bisected = await this.bisect(model, tmp);
      if (bisected === undefined) {
        this.lastError = `configuration refused by haproxy -c, last good configuration kept: ${error}`;
        return { action: 'failed', rejected: this.live?.rejected ?? [], error: this.lastError };
      }
      kept = bisected.model;
      rejected = bisected.rejected;
      text = renderHaproxyConfig(kept, this.render);
      writeFileSync(tmp, text);
    }
    renameSync(tmp, this.o.configPath);
    const structure = this.structureOf(kept);
    const slots = initialSlots(kept, (_, n) => slotCount(n, this.o.render.minSlots));
    const first = this.exited;
    try {
      if (first) await this.start();
      else await this.reload();
    } catch (e: unknown) {
      this.lastError = `HAProxy ${first ? 'start' : 'reload'} failed: ${errorMessage(e)}`;
      if (this.goodText !== undefined) writeFileSync(this.o.configPath, this.goodText);
      this.logger.error({ err: this.lastError }, 'HAProxy did not load the configuration');
      return { action: 'failed', rejected, error: this.lastError };
    }
    this.live = { model: kept, structure, slots, rejected, rejectedKey: this.rejectedKey(model, rejected) };
    this.goodText = text;
    this.lastError = rejected.length > 0 ? `configuration refused by haproxy -c for ${rejected.map((r) => r.appId).join(', ')}` : undefined;
    return { action: first ? 'start' : 'reload', rejected };
  }

  private async bisect(model: LbModel, tmp: string): Promise<{ model: LbModel; rejected: LbAppError[] } | undefined> {
    const apps = [...new Set(model.services.map((s) => s.appId))];
    if (apps.length > (this.o.maxBisectApps ?? 50)) return undefined;
    let accepted: string[] = [];
    const rejected: LbAppError[] = [];
    for (const appId of apps) {
      const candidate = { services: model.services.filter((s) => accepted.includes(s.appId) || s.appId === appId), errors: model.errors };
      writeFileSync(tmp, renderHaproxyConfig(candidate, this.render));
      const err = await validateConfig(this.o.bin, tmp);
      if (err === undefined) accepted = [...accepted, appId];
      else rejected.push({ appId, message: `refused by haproxy -c: ${err.split('\n')[0] ?? err}` });
    }
    return { model: { services: model.services.filter((s) => accepted.includes(s.appId)), errors: model.errors }, rejected };
  }

  private withoutRejected(model: LbModel, rejected: readonly LbAppError[]): LbModel {
    if (rejected.length === 0) return model;
    const ids = new Set(rejected.map((r) => r.appId));
    return { services: model.services.filter((s) => !ids.has(s.appId)), errors: model.errors };
  }

  private rejectedKey(model: LbModel, rejected: readonly LbAppError[]): string {
    const ids = new Set(rejected.map((r) => r.appId));
    return [...ids].sort().join(',') + '\n' + this.structureOf({ services: model.services.filter((s) => ids.has(s.appId)), errors: [] });
  }

  private structureOf(model: LbModel): string {
    return renderHaproxyConfig({ services: model.services.map((s) => ({ ...s, servers: [] })), errors: [] }, this.render, () => 0);
  }

  get pidFile(): string {
    return join(this.o.runDir, 'haproxy.pid');
  }

  /**
   * Stops the HAProxy master a previous `agora lb` on the same run dir left behind (killed with SIGKILL, it
   * could not stop it): only a live process whose command line is haproxy with our config file.
   */
  private async stopLeftover(): Promise<void> {
    if (!existsSync(this.pidFile)) return;
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    rmSync(this.pidFile, { force: true });
    const alive = (): boolean => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return cmd.some((a) => a.endsWith('haproxy')) && cmd.includes(this.o.configPath);
      } catch {
        return false;
      }
    };
    if (!Number.isInteger(pid) || pid <= 1 || !alive()) return;
    this.logger.warn({ pid }, 'stopping the HAProxy a previous agora lb left running on this run dir');
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(); i++) await sleep(this.clock, 50);
  }

  private async start(): Promise<void> {
    await this.stopLeftover();
    const child = spawn(this.o.bin, ['-W', '-S', `${this.masterSocket},mode,600`, '-f', this.o.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = false;
    if (child.pid !== undefined) writeFileSync(this.pidFile, `${child.pid}\n`);
    const log = (d: Buffer): void => {
      for (const line of d.toString().split('\n')) if (line.trim() !== '') this.logger.info({ haproxy: line.trim() }, 'haproxy output');
    };
    child.stdout.on('data', log);
    child.stderr.on('data', log);
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.workerPid = undefined;
      this.logger.warn({ code, signal }, 'HAProxy master exited');
    });
    child.once('error', (e) => {
      this.exited = true;
      this.lastError = `cannot run ${this.o.bin}: ${e.message}`;
    });
    this.logger.info({ pid: child.pid, config: this.o.configPath }, 'HAProxy started (master-worker)');
    this.workerPid = await this.waitForWorker(undefined);
  }

  private async reload(): Promise<void> {
    const before = this.workerPid;
    this.child?.kill('SIGUSR2');
    this.workerPid = await this.waitForWorker(before);
    this.reloads++;
    this.logger.info({ workerPid: this.workerPid }, 'HAProxy reloaded (seamless, master-worker)');
  }

  /** Waits until the admin socket answers with a worker pid other than `previous`. */
  private async waitForWorker(previous: number | undefined, timeoutMs = 10_000): Promise<number> {
    const deadline = this.clock.now() + timeoutMs;
    let last = '';
    while (this.clock.now() < deadline) {
      if (this.exited) throw new Error('HAProxy exited');
      try {
        const pid = pidFromInfo(await runtimeCommand(this.adminSocket, ['show info'], 1000));
        if (pid !== undefined && pid !== previous) return pid;
        last = `worker pid still ${pid}`;
      } catch (e: unknown) {
        last = errorMessage(e);
      }
      await sleep(this.clock, 50);
    }
    throw new Error(`no new HAProxy worker within ${timeoutMs} ms (${last})`);
  }

  status(): DriverStatus {
    return {
      kind: 'haproxy',
      reloads: this.reloads,
      runtimeUpdates: this.runtimeUpdates,
      validationFailures: this.validationFailures,
      lastError: this.lastError,
      details: { bin: this.o.bin, config: this.o.configPath, masterPid: this.child?.pid, workerPid: this.workerPid, running: !this.exited, adminSocket: this.adminSocket, masterSocket: this.masterSocket },
    };
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || this.exited) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([gone, sleep(this.clock, 5000).then(() => child.kill('SIGKILL'))]);
    await gone;
    rmSync(this.pidFile, { force: true });
  }
}
