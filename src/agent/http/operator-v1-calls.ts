/**
 * Dispatch of decoded agent::Call messages (spec §5.10) to replies. Reads build a Response body from the
 * Agent's public state; SET_LOGGING_LEVEL toggles the verbosity with a timed revert; KILL_CONTAINER
 * signals a task container's process group through the launcher. Nested/standalone containers, container
 * sessions, resource providers and image pruning are not served (501).
 */
import { constants } from 'node:os';
import type { AgentCallType, AgentOperatorCallJson } from '../../api/mesos/agent-operator.js';
import type { FlagValues } from '../../core/flags.js';
import type { LoggingLevel } from '../../core/logging-level.js';
import { isTerminalState } from '../../api/mesos/common.js';
import type { Agent } from '../agent.js';
import { attachedPaths } from './files.js';
import { listFiles, readFileRange } from './operator-v1-files.js';
import {
  getAgentContainers,
  getAgentExecutors,
  getAgentFlags,
  getAgentFrameworks,
  getAgentInfo,
  getAgentState,
  getAgentTasks,
  getAgentVersion,
} from './operator-v1-responses.js';
import { agentMetrics } from './routes.js';

/** Outcome of a call: a Response body (200 JSON) or a status with a text body. */
export type AgentOperatorReply = { readonly kind: 'response'; readonly body: Record<string, unknown> } | { readonly kind: 'status'; readonly status: number; readonly body: string };

/** What the calls need besides the agent. */
export interface AgentOperatorContext {
  readonly flags: FlagValues;
  readonly loggingLevel: LoggingLevel;
}

/** The sub-message each call needs (validation step, spec §1.5: 400 when absent). */
const REQUIRED_FIELD: Partial<Record<AgentCallType, keyof AgentOperatorCallJson>> = {
  SET_LOGGING_LEVEL: 'set_logging_level',
  LIST_FILES: 'list_files',
  READ_FILE: 'read_file',
  KILL_CONTAINER: 'kill_container',
};

/** Validates a decoded call; the message follows `Failed to validate agent::Call: `. */
export function validateAgentCall(call: AgentOperatorCallJson): string | undefined {
  if (call.type === undefined) return "Expecting 'type' to be present";
  const field = REQUIRED_FIELD[call.type];
  if (field !== undefined && call[field] === undefined) return `Expecting '${field}' to be present`;
  return undefined;
}

function response(type: string, field: string, body: Record<string, unknown>): AgentOperatorReply {
  return { kind: 'response', body: { type, [field]: body } };
}

function status(code: number, body = ''): AgentOperatorReply {
  return { kind: 'status', status: code, body };
}

/** Signal name of a signal number (KILL_CONTAINER.signal); SIGKILL when absent, undefined when unknown. */
export function signalName(n: number | undefined): NodeJS.Signals | undefined {
  if (n === undefined) return 'SIGKILL';
  const entry = Object.entries(constants.signals).find(([, v]) => v === n);
  return entry === undefined ? undefined : (entry[0] as NodeJS.Signals);
}

/** KILL_CONTAINER: 404 unless a live task or executor runs in that container; the signal goes to its process group. */
async function killContainer(agent: Agent, containerId: string, signal: number | undefined): Promise<AgentOperatorReply> {
  const sig = signalName(signal);
  if (sig === undefined) return status(400, `Invalid signal ${String(signal)}`);
  const task = [...agent.allTasks()].some((r) => r.containerId === containerId && !isTerminalState(r.state));
  const executor = [...agent.executors.list()].some((e) => e.containerId === containerId && e.phase !== 'terminated');
  if (!task && !executor) return status(404, `Container ${containerId} cannot be found`);
  const ok = await agent.launcher.signal(containerId, sig);
  return ok ? status(200) : status(404, `Container ${containerId} has no running process`);
}

/** Runs one call (see the module comment). */
export async function runAgentCall(agent: Agent, call: AgentOperatorCallJson, ctx: AgentOperatorContext): Promise<AgentOperatorReply> {
  const type = call.type ?? 'UNKNOWN';
  switch (type) {
    case 'UNKNOWN':
      return status(501, 'Received an unexpected UNKNOWN call');
    case 'GET_HEALTH':
      return response(type, 'get_health', { healthy: true });
    case 'GET_FLAGS':
      return response(type, 'get_flags', getAgentFlags(ctx.flags));
    case 'GET_VERSION':
      return response(type, 'get_version', getAgentVersion());
    case 'GET_METRICS': {
      const ns = call.get_metrics?.timeout?.nanoseconds;
      if (ns !== undefined && ns < 0) return status(400, `Invalid timeout '${ns}ns'`);
      const all = agentMetrics(agent);
      const metrics = Object.keys(all)
        .sort()
        .map((name) => ({ name, value: all[name] ?? 0 }));
      return response(type, 'get_metrics', { metrics });
    }
    case 'GET_LOGGING_LEVEL':
      return response(type, 'get_logging_level', { level: ctx.loggingLevel.current });
    case 'SET_LOGGING_LEVEL': {
      const s = call.set_logging_level;
      if (s === undefined) return status(400, "Expecting 'set_logging_level' to be present");
      ctx.loggingLevel.set(s.level, Math.max(0, s.duration.nanoseconds / 1e6));
      return status(200);
    }
    case 'LIST_FILES': {
      const r = await listFiles(attachedPaths(agent), call.list_files?.path ?? '');
      return r.ok ? response(type, 'list_files', r.value) : status(r.status, r.message);
    }
    case 'READ_FILE': {
      const c = call.read_file;
      if (c === undefined) return status(400, "Expecting 'read_file' to be present");
      const r = await readFileRange(attachedPaths(agent), c.path, c.offset, c.length);
      return r.ok ? response(type, 'read_file', r.value) : status(r.status, r.message);
    }
    case 'GET_STATE':
      return response(type, 'get_state', getAgentState(agent));
    case 'GET_CONTAINERS':
      return response(type, 'get_containers', await getAgentContainers(agent));
    case 'GET_FRAMEWORKS':
      return response(type, 'get_frameworks', getAgentFrameworks(agent));
    case 'GET_EXECUTORS':
      return response(type, 'get_executors', getAgentExecutors(agent));
    case 'GET_TASKS':
      return response(type, 'get_tasks', getAgentTasks(agent));
    case 'GET_AGENT':
      return response(type, 'get_agent', getAgentInfo(agent));
    case 'KILL_CONTAINER': {
      const c = call.kill_container;
      if (c === undefined) return status(400, "Expecting 'kill_container' to be present");
      return killContainer(agent, c.container_id.value, c.signal);
    }
    default:
      return status(501, `${type} is not implemented by Agora yet`);
  }
}
