/**
 * The master actor: owns frameworks, agents, tasks, offers and the allocator. Every state change goes
 * through its methods (this file plus framework-lifecycle.ts, scheduler-calls.ts and agent-handlers.ts,
 * which are parts of the same actor); routes only validate, call one method and shape the reply.
 * Registry writes complete before the master acknowledges what they record.
 */
import type { ServerResponse } from 'node:http';
import type { MasterInfoJson, TaskStatusJson } from '../api/mesos/common.js';
import type { AgentEvent } from '../api/agora/agent-protocol.js';
import type { SchedulerCallJson, SchedulerEvent } from '../api/mesos/scheduler.js';
import type { Clock, Timer } from '../core/clock.js';
import type { AgentId, FrameworkId, MasterId, OfferId } from '../core/ids.js';
import { MasterIdMinter } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import { Resources } from '../core/resources.js';
import { MESOS_VERSION } from '../core/version.js';
import { errorMessage } from '../core/errors.js';
import { isTerminalState, type FrameworkInfoJson } from '../api/mesos/common.js';
import type { Allocator, FrameworkCapabilities } from './allocator/allocator.js';
import { Counters, countFramework } from './metrics.js';
import type { Registry } from './registry.js';
import { RoleSettings } from './role-settings.js';
import { DurationTimer } from './allocator-metrics.js';
import { performance } from 'node:perf_hooks';
import { hasCapability } from './statuses.js';
import type { AgentRec, FrameworkRec, MasterConfig, OfferRec, TaskRec } from './types.js';
import { AgentMap } from './agent-map.js';
import { buildOffer } from './offers.js';
import { ExecutorBook, type ExecutorRec } from './executors.js';
import * as lifecycle from './framework-lifecycle.js';
import * as calls from './scheduler-calls.js';
import * as agentHandlers from './agent-handlers.js';
import { RemovalRateLimiter } from './agent-removal-limit.js';
import type { AgentCallJson } from '../api/agora/agent-protocol.js';
import { OperatorEvents } from './http/operator-v1-events.js';
import { recoverMaintenance, unavailabilityOf } from './maintenance.js';
import { maintenanceTick } from './maintenance-drain.js';
import { rescindForQuota, rescindForWeights } from './rescind-on-change.js';

/** Everything the actor needs; it does no I/O except through streams and the registry. */
export interface MasterDeps {
  readonly config: MasterConfig;
  readonly masterId: MasterId;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly allocator: Allocator;
  readonly registry: Registry;
  /** Role weights from `--weights` (registry weights override them). */
  readonly initialWeights?: ReadonlyMap<string, number>;
  /** Under `--zk`: false as soon as leadership may be gone; no allocation cycle (no offer) runs then. */
  readonly isLeader?: () => boolean;
}

/** Result of a synchronous call (UPDATE_FRAMEWORK, agent calls): an HTTP status and a text body. */
export interface CallResult {
  readonly status: number;
  readonly body: string;
}

/** Upstream's MasterInfo.ip: the IPv4 address as a uint32 in network byte order read little-endian. */
export function ipToUint32(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return 0;
  const [a = 0, b = 0, c = 0, d = 0] = parts;
  return (a | (b << 8) | (c << 16) | (d << 24)) >>> 0;
}

/** The master actor: single owner of all master state (see the file comment). */
export class Master {
  readonly config: MasterConfig;
  readonly masterId: MasterId;
  readonly clock: Clock;
  readonly log: Logger;
  readonly allocator: Allocator;
  readonly registry: Registry;
  readonly ids: MasterIdMinter;
  readonly masterInfo: MasterInfoJson;
  readonly startTime: number;
  readonly counters = new Counters();
  /** Role weights and quotas (persisted; enforced by the allocator). */
  readonly roleSettings: RoleSettings;
  /** `allocator/mesos/allocation_run_ms`: wall time of each allocation cycle. */
  readonly allocationRunTimer = new DurationTimer();
  /** v1 operator SUBSCRIBE streams and the hooks that publish master events to them. */
  readonly operatorEvents: OperatorEvents = new OperatorEvents(this);

  readonly frameworks = new Map<FrameworkId, FrameworkRec>();
  readonly completedFrameworks: FrameworkRec[] = [];
  readonly removedFrameworkIds = new Set<string>();
  /** FrameworkInfos known from the registry (not yet re-subscribed or reported by an agent). */
  readonly knownFrameworks = new Map<string, FrameworkInfoJson>();
  readonly agents = new AgentMap();
  readonly offers = new Map<OfferId, OfferRec>();
  /** Custom and default executors with resources of their own, held until EXITED_EXECUTOR. */
  readonly executors = new ExecutorBook();
  /** Stream id of each agent's latest SUBSCRIBE: an older one that finishes admission later is stale. */
  readonly agentSubscriptions = new Map<AgentId, string>();

  private allocationTimer: Timer | undefined;
  private pendingCycle: Timer | undefined;
  /** Agents marked for the pending immediate cycle, or all of them (see triggerAllocation). */
  private readonly pendingAgents = new Set<AgentId>();
  private pendingAll = false;
  private stopped = false;
  private readonly isLeader: () => boolean;
  /** Paces unreachable markings (--agent_removal_rate_limit); undefined = no limit. */
  readonly removalLimiter: RemovalRateLimiter | undefined;

  constructor(deps: MasterDeps) {
    this.config = deps.config;
    this.masterId = deps.masterId;
    this.clock = deps.clock;
    this.log = deps.logger;
    this.allocator = deps.allocator;
    this.registry = deps.registry;
    this.isLeader = deps.isLeader ?? (() => true);
    this.removalLimiter = deps.config.agentRemovalRate !== undefined ? new RemovalRateLimiter(deps.clock, deps.config.agentRemovalRate) : undefined;
    this.ids = new MasterIdMinter(deps.masterId);
    this.roleSettings = new RoleSettings(deps.registry, deps.allocator, () => deps.clock.now(), deps.initialWeights);
    this.roleSettings.onChange = (c) => (c.kind === 'weights' ? rescindForWeights(this, c.roles) : rescindForQuota(this, c.quota));
    this.startTime = deps.clock.now();
    const { ip, port, hostname } = deps.config;
    this.masterInfo = {
      id: deps.masterId,
      ip: ipToUint32(ip),
      port,
      pid: `master@${ip}:${port}`,
      hostname,
      version: MESOS_VERSION,
      address: { hostname, ip, port },
      capabilities: [{ type: 'AGENT_UPDATE' }, { type: 'AGENT_DRAINING' }, { type: 'QUOTA_V2' }],
    };
  }

  /** Loads the registry: agents become recovered (or stay unreachable/gone), removed frameworks stay removed. */
  async recover(): Promise<void> {
    const snap = await this.registry.recover();
    for (const fw of snap.frameworks) {
      const id = fw.info.id?.value;
      if (id === undefined) continue;
      if (fw.removed) this.removedFrameworkIds.add(id);
      else this.knownFrameworks.set(id, fw.info);
    }
    agentHandlers.recoverAgents(this, snap.agents);
    this.roleSettings.recover(snap);
    recoverMaintenance(this, snap);
  }

  /** Starts the periodic allocation. */
  start(): void {
    this.allocationTimer = this.clock.every(this.config.allocationIntervalMs, () => this.runAllocation());
  }

  /** Cancels every timer, closes every stream and waits for queued registry writes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.operatorEvents.closeAll();
    this.allocationTimer?.cancel();
    this.pendingCycle?.cancel();
    for (const o of this.offers.values()) o.timer?.cancel();
    for (const fw of this.frameworks.values()) {
      fw.failoverTimer?.cancel();
      fw.stream?.close();
    }
    for (const a of this.agents.values()) {
      a.pingTimer?.cancel();
      a.reregisterTimer?.cancel();
      a.stream?.close();
    }
    this.removalLimiter?.stop();
    await this.registry.drain();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  // ---- scheduler API entry points ------------------------------------------------------------

  /** SUBSCRIBE: the route already answered the HTTP checks; the 200 stream starts here. */
  subscribe(call: SchedulerCallJson, res: ServerResponse): void {
    lifecycle.subscribe(this, call, res);
  }

  /** Asynchronous calls (202): the outcome, if any, arrives as events. */
  handleCall(fw: FrameworkRec, call: SchedulerCallJson): void {
    countFramework(fw, 'calls');
    if (call.type !== undefined) countFramework(fw, `calls/${call.type.toLowerCase()}`);
    calls.dispatch(this, fw, call);
  }

  /** UPDATE_FRAMEWORK: 200 once applied and durable, 400 on validation errors. */
  updateFramework(fw: FrameworkRec, call: SchedulerCallJson): Promise<CallResult> {
    return lifecycle.updateFramework(this, fw, call);
  }

  /**
   * Operator teardown (`/master/teardown`, v1 TEARDOWN): 'unknown' framework, or whether the removal is durable
   * in the registry — operators get their answer only then, so a failover right after cannot bring it back.
   */
  async teardown(frameworkId: string): Promise<'unknown' | 'removed' | 'not-persisted'> {
    const fw = this.frameworks.get(frameworkId as FrameworkId);
    if (fw === undefined) return 'unknown';
    return (await lifecycle.removeFramework(this, fw)) ? 'removed' : 'not-persisted';
  }

  // ---- agent protocol entry points -------------------------------------------------------------

  agentSubscribe(call: AgentCallJson, res: ServerResponse, remoteIp: string): void {
    agentHandlers.subscribe(this, call, res, remoteIp);
  }

  agentCall(call: AgentCallJson, streamId: string | undefined): CallResult {
    return agentHandlers.handleCall(this, call, streamId);
  }

  // ---- shared helpers used by the actor's modules ----------------------------------------------

  capabilitiesOf(info: FrameworkInfoJson): FrameworkCapabilities {
    return {
      gpuResources: hasCapability(info, 'GPU_RESOURCES'),
      multiRole: hasCapability(info, 'MULTI_ROLE'),
      revocable: hasCapability(info, 'REVOCABLE_RESOURCES'),
    };
  }

  /** Sends an event to a connected framework; false when it is not connected. */
  sendToFramework(fw: FrameworkRec, event: SchedulerEvent): boolean {
    if (!fw.connected || fw.stream === undefined) return false;
    const sent = fw.stream.send(event);
    if (sent) {
      countFramework(fw, 'events');
      countFramework(fw, `events/${event.type.toLowerCase()}`);
      if (event.type === 'OFFERS') countFramework(fw, 'offers/sent', event.offers.offers.length);
      if (event.type === 'RESCIND') countFramework(fw, 'offers/rescinded');
    }
    return sent;
  }

  /** Sends a task status update (master-generated ones carry no uuid) and counts it. */
  sendUpdate(fw: FrameworkRec, status: TaskStatusJson): void {
    this.counters.countStatus(status.state, status.source, status.reason);
    this.sendToFramework(fw, { type: 'UPDATE', update: { status } });
    this.operatorEvents.taskStatus(fw, status);
  }

  sendToAgent(agent: AgentRec, event: AgentEvent): boolean {
    if (agent.stream === undefined || !agent.stream.isOpen) return false;
    return agent.stream.send(event);
  }

  /**
   * Schedules one immediate allocation cycle. Triggers of the same tick are batched into one cycle: with
   * `agentId` (a newly added agent) only the agents marked this way are visited, as upstream's
   * `allocate(slaveId)`; without (revive, new framework, maintenance...) every agent is.
   */
  triggerAllocation(agentId?: AgentId): void {
    if (this.stopped) return;
    if (agentId === undefined) this.pendingAll = true;
    else this.pendingAgents.add(agentId);
    if (this.pendingCycle !== undefined) return;
    this.pendingCycle = this.clock.after(0, () => {
      this.pendingCycle = undefined;
      const only = this.pendingAll ? undefined : new Set(this.pendingAgents);
      this.pendingAll = false;
      this.pendingAgents.clear();
      this.runAllocation(only);
    });
  }

  /** One allocation cycle (over `only` agents, or all): turns the allocator's batches into offers, one OFFERS event per framework. */
  runAllocation(only?: ReadonlySet<AgentId>): void {
    if (this.stopped || !this.isLeader()) return;
    const now = this.clock.now();
    let batches;
    const started = performance.now();
    try {
      batches = this.allocator.cycle(now, only);
      this.allocationRunTimer.record(performance.now() - started);
    } catch (e: unknown) {
      this.log.error({ err: errorMessage(e) }, 'allocation cycle failed');
      return;
    }
    this.counters.inc('allocator/mesos/allocation_runs');
    const byFramework = new Map<FrameworkId, OfferRec[]>();
    for (const b of batches) {
      const fw = this.frameworks.get(b.frameworkId);
      const agent = this.agents.get(b.agentId);
      if (fw === undefined || !fw.active || !fw.connected || agent === undefined || agent.state !== 'registered') {
        this.allocator.apply({ type: 'resourcesRecovered', frameworkId: b.frameworkId, agentId: b.agentId, resources: b.resources }, now);
        continue;
      }
      const offer: OfferRec = { id: this.ids.offer(), frameworkId: fw.id, agentId: agent.id, role: b.role, resources: b.resources };
      if (this.config.offerTimeoutMs !== undefined) {
        offer.timer = this.clock.after(this.config.offerTimeoutMs, () => this.rescindOffer(offer.id, { notify: true }));
      }
      this.offers.set(offer.id, offer);
      fw.offers.add(offer.id);
      const list = byFramework.get(fw.id) ?? [];
      list.push(offer);
      byFramework.set(fw.id, list);
    }
    for (const [fid, list] of byFramework) {
      const fw = this.frameworks.get(fid);
      if (fw === undefined) continue;
      // Many offers at once (e.g. after a registration storm): index the framework's tasks by agent once,
      // instead of scanning all of them per offer (quadratic while launching, ADR 0041).
      const byAgent = list.length > 1 ? liveTasksByAgent(fw) : undefined;
      const json = list.flatMap((o) => {
        const agent = this.agents.get(o.agentId);
        if (agent === undefined) return [];
        const offer = buildOffer(o, agent, fw, byAgent !== undefined ? (byAgent.get(agent.id) ?? []) : this.tasksOnAgent(agent.id, fw.id));
        const unavailability = unavailabilityOf(this, agent);
        return [unavailability !== undefined ? { ...offer, unavailability } : offer];
      });
      this.sendToFramework(fw, { type: 'OFFERS', offers: { offers: json } });
    }
    maintenanceTick(this);
  }

  /**
   * Removes an outstanding offer and gives its resources back to the allocator. `notify` sends RESCIND
   * (unless the framework is gone); `refuseMs` installs a refuse filter.
   */
  rescindOffer(id: OfferId, opts: { notify: boolean; refuseMs?: number; recover?: boolean }): OfferRec | undefined {
    const offer = this.offers.get(id);
    if (offer === undefined) return undefined;
    this.offers.delete(id);
    offer.timer?.cancel();
    const fw = this.frameworks.get(offer.frameworkId);
    fw?.offers.delete(id);
    if (opts.recover !== false) {
      this.allocator.apply(
        {
          type: 'resourcesRecovered',
          frameworkId: offer.frameworkId,
          agentId: offer.agentId,
          resources: offer.resources,
          ...(opts.refuseMs !== undefined && opts.refuseMs > 0 ? { refuseMs: opts.refuseMs } : {}),
        },
        this.clock.now(),
      );
    }
    if (opts.notify && fw !== undefined) this.sendToFramework(fw, { type: 'RESCIND', rescind: { offer_id: { value: id } } });
    return offer;
  }

  /** Executor ids of the framework's live tasks on an agent (Offer.executor_ids). */
  tasksOnAgent(agentId: AgentId, frameworkId: FrameworkId): TaskRec[] {
    const fw = this.frameworks.get(frameworkId);
    if (fw === undefined) return [];
    return [...fw.tasks.values()].filter((t) => t.agentId === agentId && !isTerminalState(t.state));
  }

  /** Gives a task's resources back to the allocator once (terminal or unreachable). */
  releaseTask(task: TaskRec): void {
    if (task.released) return;
    task.released = true;
    this.allocator.apply(
      { type: 'resourcesRecovered', frameworkId: task.frameworkId, agentId: task.agentId, resources: task.resources },
      this.clock.now(),
    );
  }

  /** Starts charging an executor's own resources (its first task is being launched). */
  addExecutor(rec: ExecutorRec): void {
    this.executors.add(rec);
  }

  /** The executor ended (EXITED_EXECUTOR): its resources go back to the allocator once. */
  releaseExecutor(agentId: AgentId, frameworkId: FrameworkId, executorId: string): void {
    const rec = this.executors.remove(agentId, frameworkId, executorId);
    if (rec === undefined || rec.resources.isEmpty()) return;
    this.allocator.apply({ type: 'resourcesRecovered', frameworkId, agentId, resources: rec.resources }, this.clock.now());
  }

  /** Resources charged to executors on an agent (optionally of one framework). */
  executorResources(agentId: AgentId, frameworkId?: FrameworkId): Resources {
    let r = Resources.EMPTY;
    for (const e of this.executors.onAgent(agentId)) if (frameworkId === undefined || e.frameworkId === frameworkId) r = r.plus(e.resources);
    return r;
  }

  /** Moves a task from the active map to the bounded completed list. */
  completeTask(fw: FrameworkRec, task: TaskRec): void {
    this.releaseTask(task);
    fw.tasks.delete(task.id);
    fw.unreachableTasks.delete(task.id);
    fw.completedTasks.push(task);
    const max = this.config.maxCompletedTasksPerFramework;
    if (fw.completedTasks.length > max) fw.completedTasks.splice(0, fw.completedTasks.length - max);
  }

  /** Resources used by live tasks, for the allocator when an agent or framework is (re-)added. */
  usedResources(task: TaskRec): Resources | undefined {
    return task.released || isTerminalState(task.state) ? undefined : task.resources;
  }
}

/** The framework's non-terminal tasks grouped by agent (one pass; what tasksOnAgent returns per agent). */
export function liveTasksByAgent(fw: FrameworkRec): Map<AgentId, TaskRec[]> {
  const out = new Map<AgentId, TaskRec[]>();
  for (const t of fw.tasks.values()) {
    if (isTerminalState(t.state)) continue;
    const list = out.get(t.agentId);
    if (list === undefined) out.set(t.agentId, [t]);
    else list.push(t);
  }
  return out;
}
