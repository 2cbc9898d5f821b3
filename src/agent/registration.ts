/**
 * The SUBSCRIBE call an agent (re-)registers with (ADR 0003): its AgentInfo, and every task the master
 * must re-learn (non-terminal, or terminal with an unacknowledged update) with the head unacked update.
 * Pure: built from the agent's state on each attempt.
 */
import { MESOS_VERSION } from '../core/version.js';
import type { AgentInfoJson, ExecutorInfoJson, FrameworkInfoJson, ResourceJson, TaskInfoJson, TaskStatusJson } from '../api/mesos/common.js';
import { AGENT_PROTOCOL_VERSION, type AgentCallJson, type AgentTaskReportJson } from '../api/agora/agent-protocol.js';
import type { AgentConfig } from './config.js';
import type { FrameworkRecord, TaskRecord } from './task-record.js';

export const AGENT_CAPABILITIES = ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT', 'TASK_KILLING_STATE'];

export function agentInfo(config: AgentConfig, port: number, agentId: string | undefined): AgentInfoJson {
  return {
    hostname: config.hostname,
    port,
    resources: config.resources.toWire('pre', false) as ResourceJson[],
    ...(config.attributes.length > 0 ? { attributes: [...config.attributes] } : {}),
    ...(agentId !== undefined ? { id: { value: agentId } } : {}),
  };
}

export function subscribeCall(
  config: AgentConfig,
  port: number,
  agentId: string | undefined,
  frameworks: Iterable<FrameworkRecord>,
  head: (fid: string, tid: string) => TaskStatusJson | undefined,
  checkpointed?: ResourceJson[],
  executors: readonly { framework_id: { value: string }; executor: ExecutorInfoJson }[] = [],
): AgentCallJson {
  const tasks: AgentTaskReportJson[] = [];
  const fws: FrameworkInfoJson[] = [];
  const infos = new Map(executors.map((e) => [`${e.framework_id.value}/${e.executor.executor_id.value}`, e.executor]));
  // A task-group task carries no `executor` of its own on the agent: the master re-learns it from the group's.
  const withExecutor = (t: TaskRecord): TaskInfoJson =>
    t.executorId === undefined || t.task.executor !== undefined ? t.task : { ...t.task, executor: infos.get(`${t.fid}/${t.executorId}`) ?? { executor_id: { value: t.executorId } } };
  for (const fw of frameworks) {
    if (fw.tasks.size > 0) fws.push(fw.info);
    for (const t of fw.tasks.values()) {
      const h = head(t.fid, t.task.task_id.value);
      tasks.push({
        framework_id: { value: t.fid },
        executor_id: { value: t.executorId ?? t.task.task_id.value },
        task: withExecutor(t),
        state: t.state,
        ...(t.latest !== undefined ? { latest_status: t.latest } : {}),
        ...(h !== undefined ? { unacked_state: h.state, ...(h.uuid !== undefined ? { unacked_uuid: h.uuid } : {}) } : {}),
      });
    }
  }
  return {
    type: 'SUBSCRIBE',
    ...(agentId !== undefined ? { agent_id: { value: agentId } } : {}),
    subscribe: {
      version: AGENT_PROTOCOL_VERSION,
      agent_info: agentInfo(config, port, agentId),
      ...(checkpointed !== undefined ? { checkpointed_resources: checkpointed } : {}),
      capabilities: AGENT_CAPABILITIES,
      frameworks: fws,
      ...(executors.length > 0 ? { executors: [...executors] } : {}),
      tasks,
      agent_version: MESOS_VERSION,
    },
  };
}
