/**
 * Pure parts of `agora execute` (mesos-execute, spec §6.12): the FrameworkInfo and TaskInfo it sends, the
 * lines it prints for a status update, and the process exit code a terminal state maps to.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CommandInfoJson, FrameworkInfoJson, TaskStatusJson, TaskStateName } from '../api/mesos/common.js';
import { isTerminalState } from '../api/mesos/common.js';
import { invalid } from '../core/errors.js';

export interface ExecuteSpec {
  readonly name: string;
  readonly command: string;
  readonly shell: boolean;
  readonly env: Readonly<Record<string, string>> | undefined;
  readonly frameworkName: string;
  readonly role: string;
  readonly checkpoint: boolean;
  readonly partitionAware: boolean;
  readonly user: string;
}

/** FrameworkInfo as mesos-execute builds it: single-role, failover_timeout unset (removed when it leaves). */
export function frameworkInfoFor(spec: ExecuteSpec): FrameworkInfoJson {
  const caps: NonNullable<FrameworkInfoJson['capabilities']> = [
    { type: 'RESERVATION_REFINEMENT' },
    { type: 'TASK_KILLING_STATE' },
    { type: 'REVOCABLE_RESOURCES' },
  ];
  if (spec.partitionAware) caps.push({ type: 'PARTITION_AWARE' });
  return { user: spec.user, name: spec.frameworkName, role: spec.role, checkpoint: spec.checkpoint, capabilities: caps };
}

/** CommandInfo: `shell` true runs `sh -c <command>`; false execs the command as is (no argv splitting, like upstream). */
export function commandInfoFor(spec: ExecuteSpec): CommandInfoJson {
  const cmd: CommandInfoJson = { shell: spec.shell, value: spec.command };
  if (!spec.shell) cmd.arguments = [spec.command];
  if (spec.env !== undefined) {
    cmd.environment = { variables: Object.entries(spec.env).map(([name, value]) => ({ name, type: 'VALUE' as const, value })) };
  }
  return cmd;
}

/** `--env`: a JSON object of name → value, or `file://<path>` holding one. */
export function parseEnvFlag(text: string): Record<string, string> {
  const json = text.startsWith('file://') ? readFileSync(fileURLToPath(text), 'utf8') : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e: unknown) {
    throw invalid(`Failed to parse --env as JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('--env must be a JSON object of name to value');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

/** The lines mesos-execute prints for an update (users grep for the first one). */
export function statusLines(status: TaskStatusJson): string[] {
  const lines = [`Received status update ${status.state} for task '${status.task_id.value}'`];
  if (status.message !== undefined) lines.push(`  message: '${status.message}'`);
  if (status.source !== undefined) lines.push(`  source: ${status.source}`);
  if (status.reason !== undefined) lines.push(`  reason: ${status.reason}`);
  if (status.healthy !== undefined) lines.push(`  healthy?: ${status.healthy ? 1 : 0}`);
  return lines;
}

const EXITED = /Command exited with status (\d+)/;

/**
 * Exit code of `agora execute` for a task state, or undefined while the task is not terminal.
 * FINISHED ⇒ 0; FAILED ⇒ the command's status from `Command exited with status N` (1 if absent or 0);
 * KILLED, LOST, ERROR, DROPPED, GONE... ⇒ 1.
 */
export function exitCodeFor(state: TaskStateName, message?: string): number | undefined {
  if (!isTerminalState(state)) return undefined;
  if (state === 'TASK_FINISHED') return 0;
  if (state === 'TASK_FAILED') {
    const n = Number(EXITED.exec(message ?? '')?.[1] ?? '1');
    return n >= 1 && n <= 255 ? n : 1;
  }
  return 1;
}
