/**
 * The logic of `agora logs`: find a task's agent through the master (GET_TASKS, GET_AGENTS), find its
 * sandbox file on that agent (virtual path `/frameworks/<fid>/executors/<eid>/runs/latest[/tasks/<tid>]/
 * stdout|stderr`), then read it with READ_FILE from offset 0. With `follow` it keeps polling: new bytes are
 * written as soon as they appear; once the master reports the task terminal, the file is drained one last
 * time and the reader returns. Time goes through the injected Clock so tests need no sleeps.
 */
import { isTerminalState, type TaskStateName } from '../api/mesos/common.js';
import { sleep, type Clock } from '../core/clock.js';
import { CliError } from './apps-client.js';
import { findTask, type GetTasksJson, type V1AgentJson, type V1TaskJson } from './cluster-format.js';
import { OPERATOR_EXIT_FAILURE, OperatorCallError, OperatorClient, agentUrlOf, type OperatorCaller } from './operator-client.js';

/** What `readTaskLog` needs. */
export interface LogReaderDeps {
  readonly master: OperatorCaller;
  readonly clock: Clock;
  /** Receives the file's bytes in order. */
  readonly write: (chunk: Buffer) => void;
  /** Makes the client for an agent URL (tests substitute). */
  readonly agentClient?: (url: string) => OperatorCaller;
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

/** Which file and whether to follow. */
export interface LogRequest {
  readonly taskId: string;
  readonly file: 'stdout' | 'stderr';
  readonly follow: boolean;
}

function fail(message: string): CliError {
  return new CliError(message, OPERATOR_EXIT_FAILURE);
}

async function masterTask(master: OperatorCaller, taskId: string): Promise<V1TaskJson> {
  const r = await master.call<{ get_tasks?: GetTasksJson }>('GET_TASKS');
  const task = findTask(r.get_tasks ?? {}, taskId);
  if (task === undefined) throw fail(`unknown task '${taskId}': the master at ${master.base} does not know it`);
  return task;
}

/** The agent serving a task, as an operator client. */
export async function agentOfTask(master: OperatorCaller, task: V1TaskJson, make: (url: string) => OperatorCaller): Promise<OperatorCaller> {
  const agentId = task.agent_id?.value;
  if (agentId === undefined) throw fail(`task '${task.task_id.value}' has no agent`);
  const r = await master.call<{ get_agents?: { agents?: V1AgentJson[] } }>('GET_AGENTS');
  const agent = (r.get_agents?.agents ?? []).find((a) => a.agent_info?.id?.value === agentId);
  const url = agent === undefined ? undefined : agentUrlOf(agent);
  if (url === undefined) throw fail(`agent ${agentId} of task '${task.task_id.value}' is not connected to the master`);
  return make(url);
}

/** Sandbox paths a task's file may have, most specific first (task-group tasks live under `tasks/<tid>`). */
export function candidatePaths(task: V1TaskJson, file: string): string[] {
  const fid = task.framework_id?.value ?? '';
  const tid = task.task_id.value;
  const eid = task.executor_id?.value ?? tid;
  const base = `/frameworks/${fid}/executors/${eid}/runs/latest`;
  if (eid === tid) return [`${base}/${file}`];
  return [`${base}/tasks/${tid}/${file}`, `${base}/${file}`, `/frameworks/${fid}/executors/${tid}/runs/latest/${file}`];
}

/** The master may not know a task-group task's executor id (no ExecutorInfo in its TaskInfo): the agent does. */
async function withExecutorId(agent: OperatorCaller, task: V1TaskJson): Promise<V1TaskJson> {
  if (task.executor_id !== undefined) return task;
  try {
    const r = await agent.call<{ get_tasks?: Record<string, V1TaskJson[] | undefined> }>('GET_TASKS');
    const mine = Object.values(r.get_tasks ?? {})
      .flatMap((l) => l ?? [])
      .find((t) => t.task_id.value === task.task_id.value && t.framework_id?.value === task.framework_id?.value);
    return mine?.executor_id !== undefined ? { ...task, executor_id: mine.executor_id } : task;
  } catch {
    return task;
  }
}

async function readAt(agent: OperatorCaller, path: string, offset: number): Promise<Buffer | undefined> {
  try {
    const r = await agent.call<{ read_file?: { data?: string } }>('READ_FILE', { read_file: { path, offset } });
    return Buffer.from(r.read_file?.data ?? '', 'base64');
  } catch (e: unknown) {
    if (e instanceof OperatorCallError && e.status === 404) return undefined;
    throw e;
  }
}

async function findPath(agent: OperatorCaller, candidates: readonly string[]): Promise<string | undefined> {
  for (const p of candidates) if ((await readAt(agent, p, 0)) !== undefined) return p;
  return undefined;
}

function terminal(state: string | undefined): boolean {
  return state !== undefined && isTerminalState(state as TaskStateName);
}

/** Prints the task's file (see the module comment). Throws CliError for unknown tasks and missing files. */
export async function readTaskLog(req: LogRequest, deps: LogReaderDeps): Promise<void> {
  const interval = deps.intervalMs ?? 500;
  const make = deps.agentClient ?? ((url: string): OperatorCaller => new OperatorClient(url, 'the agent', 'is the agent running?'));
  let task = await masterTask(deps.master, req.taskId);
  const agent = await agentOfTask(deps.master, task, make);
  const candidates = candidatePaths(await withExecutorId(agent, task), req.file);
  let path = await findPath(agent, candidates);
  // A task that is still starting may not have its sandbox yet: wait for it while following.
  while (path === undefined && req.follow && !terminal(task.state)) {
    await sleep(deps.clock, interval, deps.signal);
    task = await masterTask(deps.master, req.taskId);
    path = await findPath(agent, candidates);
  }
  if (path === undefined) throw fail(`no ${req.file} for task '${req.taskId}' on ${agent.base} (tried ${candidates.join(', ')})`);
  let offset = 0;
  let terminalSeen = terminal(task.state);
  for (;;) {
    const bytes = await readAt(agent, path, offset);
    if (bytes === undefined) throw fail(`${path} disappeared from ${agent.base}`);
    if (bytes.length > 0) {
      deps.write(bytes);
      offset += bytes.length;
      continue;
    }
    if (!req.follow || terminalSeen) return;
    task = await masterTask(deps.master, req.taskId);
    // Drain once more after the terminal state: output written just before exit is still printed.
    if (terminal(task.state)) {
      terminalSeen = true;
      continue;
    }
    await sleep(deps.clock, interval, deps.signal);
  }
}
