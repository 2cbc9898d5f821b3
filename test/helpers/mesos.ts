/**
 * Loose wire shapes of the Mesos v1 scheduler API as tests observe them, and builders for the calls
 * tests send. Deliberately independent of src/api so that the tests guard the wire, not our types.
 */

export interface Id {
  readonly value: string;
}

export interface WireResource {
  readonly name: string;
  readonly type: string;
  readonly scalar?: { readonly value: number };
  readonly ranges?: { readonly range: ReadonlyArray<{ readonly begin: number; readonly end: number }> };
  readonly role?: string;
  readonly allocation_info?: { readonly role: string };
}

export interface WireOffer {
  readonly id: Id;
  readonly framework_id: Id;
  readonly agent_id: Id;
  readonly hostname: string;
  readonly url?: { readonly scheme?: string; readonly address?: { readonly hostname?: string; readonly ip?: string; readonly port?: number }; readonly path?: string };
  readonly resources: readonly WireResource[];
  readonly allocation_info?: { readonly role: string };
}

export interface WireStatus {
  readonly task_id: Id;
  readonly state: string;
  readonly source?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly agent_id?: Id;
  readonly executor_id?: Id;
  readonly uuid?: string;
  readonly timestamp?: number;
  readonly unreachable_time?: unknown;
}

export interface SchedEvent {
  readonly type: string;
  readonly subscribed?: { readonly framework_id: Id; readonly heartbeat_interval_seconds?: number; readonly master_info?: unknown };
  readonly offers?: { readonly offers: readonly WireOffer[] };
  readonly rescind?: { readonly offer_id: Id };
  readonly update?: { readonly status: WireStatus };
  readonly error?: { readonly message: string };
  readonly failure?: { readonly agent_id?: Id; readonly executor_id?: Id; readonly status?: number };
  readonly message?: unknown;
}

export interface FrameworkOptions {
  readonly name?: string;
  readonly id?: string;
  readonly user?: string;
  readonly role?: string;
  readonly failoverTimeoutSecs?: number;
  readonly checkpoint?: boolean;
  readonly capabilities?: readonly string[];
}

/** A single-role FrameworkInfo (no MULTI_ROLE unless asked). */
export function frameworkInfo(o: FrameworkOptions = {}): Record<string, unknown> {
  const info: Record<string, unknown> = { user: o.user ?? 'root', name: o.name ?? 'it-framework' };
  if (o.id !== undefined) info.id = { value: o.id };
  if (o.role !== undefined) info.role = o.role;
  if (o.failoverTimeoutSecs !== undefined) info.failover_timeout = o.failoverTimeoutSecs;
  if (o.checkpoint !== undefined) info.checkpoint = o.checkpoint;
  if (o.capabilities !== undefined) info.capabilities = o.capabilities.map((type) => ({ type }));
  return info;
}

/** SUBSCRIBE call; with `id` set it is a re-subscription (framework_id and framework_info.id). */
export function subscribeCall(o: FrameworkOptions = {}): Record<string, unknown> {
  const call: Record<string, unknown> = { type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo(o) } };
  if (o.id !== undefined) call.framework_id = { value: o.id };
  return call;
}

export function scalar(name: string, value: number): WireResource {
  return { name, type: 'SCALAR', scalar: { value } };
}

export interface TaskOptions {
  readonly id: string;
  readonly agentId: string;
  readonly name?: string;
  /** Shell command (shell: true). */
  readonly shell?: string;
  /** argv (shell: false, value = argv[0]). */
  readonly argv?: readonly string[];
  readonly cpus?: number;
  readonly mem?: number;
  readonly disk?: number;
  readonly killGraceSecs?: number;
  readonly env?: Readonly<Record<string, string>>;
}

/** A command TaskInfo whose resources carry neither role nor allocation_info (the master injects them). */
export function commandTask(o: TaskOptions): Record<string, unknown> {
  const command: Record<string, unknown> =
    o.argv !== undefined ? { shell: false, value: o.argv[0], arguments: [...o.argv] } : { shell: true, value: o.shell ?? 'true' };
  if (o.env !== undefined) command.environment = { variables: Object.entries(o.env).map(([name, value]) => ({ name, value })) };
  const resources = [scalar('cpus', o.cpus ?? 0.1), scalar('mem', o.mem ?? 32)];
  if (o.disk !== undefined) resources.push(scalar('disk', o.disk));
  const task: Record<string, unknown> = { name: o.name ?? o.id, task_id: { value: o.id }, agent_id: { value: o.agentId }, resources, command };
  if (o.killGraceSecs !== undefined) task.kill_policy = { grace_period: { nanoseconds: Math.round(o.killGraceSecs * 1e9) } };
  return task;
}

/** Scalar total of resource `name` in an offer. */
export function offered(offer: WireOffer, name: string): number {
  return offer.resources.filter((r) => r.name === name).reduce((s, r) => s + (r.scalar?.value ?? 0), 0);
}

export const TERMINAL_STATES: ReadonlySet<string> = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);
