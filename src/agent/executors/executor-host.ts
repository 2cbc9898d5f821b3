/** The ExecutorManager's view of the Agent actor (its I/O and task state), and the reply of an executor call. */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { AgentInfoJson, ResourceJson, TaskStatusJson } from '../../api/mesos/common.js';
import type { AgentCallJson } from '../../api/agora/agent-protocol.js';
import type { AgentConfig } from '../config.js';
import type { LaunchSpec } from '../containerizer/launcher.js';
import type { Fetcher } from '../containerizer/fetcher.js';
import type { JournalRecord } from '../checkpoint/recovery.js';
import type { FrameworkRecord, StatusFields, TaskRecord } from '../task-record.js';

/** The part of the agent's launcher (posix launcher or containerizer) executors use. */
export interface ExecutorLauncher {
  /** `resources` (when the launcher isolates) are the executor's plus its tasks' at launch time. */
  launch(spec: LaunchSpec & { readonly resources?: readonly ResourceJson[] }): Promise<number>;
  recover(containerId: string, supervisorPid: number): void;
  supervisorPid(containerId: string): Promise<number | undefined>;
  signal(containerId: string, signal: NodeJS.Signals): Promise<boolean>;
  /** New limits for a running container (more tasks arrived); a no-op where the launcher does not isolate. */
  update(containerId: string, resources: readonly ResourceJson[]): Promise<void>;
}

/** What the manager needs from the Agent actor. */
export interface ExecutorHost {
  readonly config: AgentConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly launcher: ExecutorLauncher;
  readonly fetcher: Fetcher;
  agentId(): string | undefined;
  agentPort(): number;
  agentInfo(): AgentInfoJson;
  framework(fid: string): FrameworkRecord | undefined;
  append(r: JournalRecord): Promise<void>;
  track(p: Promise<unknown>): void;
  /** Journals a status the executor sent and forwards it reliably; resolves once durable. */
  executorUpdate(t: TaskRecord, st: TaskStatusJson): Promise<void>;
  /** A status the agent itself generates for one of the executor's tasks. */
  agentUpdate(t: TaskRecord, f: StatusFields): Promise<void>;
  /** Fire-and-forget call to the master (EXITED_EXECUTOR, EXECUTOR_MESSAGE). */
  post(call: AgentCallJson): void;
  countInvalidUpdate(): void;
}

/** An HTTP answer of a non-SUBSCRIBE executor call (text body). */
export interface CallResult {
  readonly status: number;
  readonly body: string;
}
