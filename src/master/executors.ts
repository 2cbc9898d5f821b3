/**
 * Executors the master charges resources for (spec §3.4 ExecutorInfo.resources): a custom executor, or the
 * default executor of a task group, holds its own resources from its first launch until the agent reports
 * EXITED_EXECUTOR, however many of its tasks come and go meanwhile (upstream master's
 * `Slave::addExecutor`/`removeExecutor`). Command executors carry no resources of their own and are not
 * kept here. Owned by the Master; changed only through its methods and the handlers it delegates to.
 */
import type { AgentId, FrameworkId } from '../core/ids.js';
import type { Resources } from '../core/resources.js';
import type { ExecutorInfoJson } from '../api/mesos/common.js';

/** One executor running (or launching) on an agent. */
export interface ExecutorRec {
  readonly agentId: AgentId;
  readonly frameworkId: FrameworkId;
  readonly info: ExecutorInfoJson;
  /** With allocation roles; charged to the framework on the agent while the record exists. */
  readonly resources: Resources;
}

const keyOf = (agentId: string, frameworkId: string, executorId: string): string => `${agentId}\u0000${frameworkId}\u0000${executorId}`;

/** The executors of every agent, keyed by (agent, framework, executor id). */
export class ExecutorBook {
  private readonly byKey = new Map<string, ExecutorRec>();

  has(agentId: string, frameworkId: string, executorId: string): boolean {
    return this.byKey.has(keyOf(agentId, frameworkId, executorId));
  }

  add(rec: ExecutorRec): void {
    this.byKey.set(keyOf(rec.agentId, rec.frameworkId, rec.info.executor_id.value), rec);
  }

  /** Removes and returns the record (undefined when unknown: a command executor, or already removed). */
  remove(agentId: string, frameworkId: string, executorId: string): ExecutorRec | undefined {
    const k = keyOf(agentId, frameworkId, executorId);
    const rec = this.byKey.get(k);
    this.byKey.delete(k);
    return rec;
  }

  onAgent(agentId: string): ExecutorRec[] {
    return [...this.byKey.values()].filter((e) => e.agentId === agentId);
  }

  ofFramework(frameworkId: string): ExecutorRec[] {
    return [...this.byKey.values()].filter((e) => e.frameworkId === frameworkId);
  }

  /** Forgets an agent's executors (it left, or is being re-learned from its re-registration). */
  dropAgent(agentId: string): void {
    for (const e of this.onAgent(agentId)) this.byKey.delete(keyOf(e.agentId, e.frameworkId, e.info.executor_id.value));
  }

  /** Forgets a removed framework's executors (the allocator drops its allocations as a whole). */
  dropFramework(frameworkId: string): void {
    for (const e of this.ofFramework(frameworkId)) this.byKey.delete(keyOf(e.agentId, e.frameworkId, e.info.executor_id.value));
  }

  get size(): number {
    return this.byKey.size;
  }
}
