/**
 * The master's in-memory records. All of them are owned and mutated only by the Master actor
 * (src/master/master.ts and the helper modules it delegates to); routes read them to shape replies.
 */
import type { RemovalTicket } from './agent-removal-limit.js';
import type { Timer } from '../core/clock.js';
import type { RemovalRate } from './agent-removal-limit.js';
import type { AgentId, FrameworkId, OfferId, TaskId } from '../core/ids.js';
import type { Resources } from '../core/resources.js';
import type { AgentInfoJson, KillPolicyJson, FrameworkInfoJson, TaskInfoJson, TaskStateName, TaskStatusJson } from '../api/mesos/common.js';
import type { EventStream } from '../transport/event-stream.js';

/** One entry of Task.statuses (§5.2): consecutive same-state updates collapse into one. */
export interface StatusEntry {
  readonly state: TaskStateName;
  readonly timestamp: number;
  readonly healthy?: boolean;
  readonly labels?: unknown;
  readonly container_status?: unknown;
}

/** A task the master tracks (active, unreachable or completed). */
export interface TaskRec {
  readonly id: TaskId;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly info: TaskInfoJson;
  /** With allocation roles. */
  readonly resources: Resources;
  readonly role: string;
  state: TaskStateName;
  statuses: StatusEntry[];
  latestStatus?: TaskStatusJson | undefined;
  /** State and uuid of the latest update forwarded to the scheduler (what an ACKNOWLEDGE must match). */
  statusUpdateState?: TaskStateName | undefined;
  statusUpdateUuid?: string | undefined;
  /** False when RUN_TASK could not be handed to the agent yet. */
  delivered: boolean;
  /** A KILL that could not reach the agent yet; re-sent when the agent re-registers. */
  pendingKill?: { readonly kill_policy?: KillPolicyJson } | undefined;
  /** True once the task's resources went back to the allocator. */
  released: boolean;
  readonly firstTimestamp: number;
}

/** A framework: connected, disconnected (failover timer running), recovered, or completed. */
export interface FrameworkRec {
  readonly id: FrameworkId;
  info: FrameworkInfoJson;
  roles: string[];
  suppressed: Set<string>;
  connected: boolean;
  active: boolean;
  /** Known only from agents' reports after a master restart; not yet re-subscribed. */
  recovered: boolean;
  stream?: EventStream | undefined;
  streamId?: string | undefined;
  registeredTime: number;
  reregisteredTime?: number | undefined;
  unregisteredTime: number;
  failoverTimer?: Timer | undefined;
  readonly tasks: Map<TaskId, TaskRec>;
  readonly unreachableTasks: Map<TaskId, TaskRec>;
  completedTasks: TaskRec[];
  readonly offers: Set<OfferId>;
  /** Per-framework counters (`calls`, `events/<type>`, `offers/sent`...), published under master/frameworks/. */
  readonly metrics: Map<string, number>;
}

/** Life cycle of an agent in the master. */
export type AgentState = 'registered' | 'disconnected' | 'unreachable' | 'recovered' | 'gone';

/** An agent known to the master. */
export interface AgentRec {
  readonly id: AgentId;
  info: AgentInfoJson;
  total: Resources;
  ip: string;
  port: number;
  state: AgentState;
  stream?: EventStream | undefined;
  streamId?: string | undefined;
  registeredTime: number;
  reregisteredTime?: number | undefined;
  unreachableTime?: number | undefined;
  capabilities: string[];
  version: string;
  missedPings: number;
  pongSincePing: boolean;
  pingTimer?: Timer | undefined;
  reregisterTimer?: Timer | undefined;
  /** Its unreachable marking, while queued behind --agent_removal_rate_limit. */
  unreachableTicket?: RemovalTicket | undefined;
}

/** An outstanding offer; its resources stay allocated to the framework until answered. */
export interface OfferRec {
  readonly id: OfferId;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly role: string;
  readonly resources: Resources;
  timer?: Timer | undefined;
}

/** Settings the master actor needs, resolved from MASTER_FLAGS. */
export interface MasterConfig {
  readonly ip: string;
  readonly port: number;
  readonly hostname: string;
  readonly allocationIntervalMs: number;
  readonly offerTimeoutMs: number | undefined;
  readonly agentPingTimeoutMs: number;
  readonly maxAgentPingTimeouts: number;
  readonly agentReregisterTimeoutMs: number;
  /** `--agent_removal_rate_limit` (unset = unreachable markings are not rate limited). */
  readonly agentRemovalRate?: RemovalRate | undefined;
  readonly heartbeatIntervalMs: number;
  readonly maxCompletedFrameworks: number;
  readonly maxCompletedTasksPerFramework: number;
  /** `--max_operator_event_stream_subscribers` (default 1000). */
  readonly maxOperatorSubscribers?: number;
  readonly roles: readonly string[] | undefined;
  readonly rootSubmissions: boolean;
}
