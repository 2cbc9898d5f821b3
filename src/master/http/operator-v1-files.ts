/**
 * SET_LOGGING_LEVEL, LIST_FILES and READ_FILE on the master's v1 operator API (spec §5.9). The master
 * attaches its log at `/master/log` only when it logs to a file (`--log_dir`/`--external_log_file`);
 * Agora's master logs to stdout, so nothing is attached and every path answers 404 as upstream does
 * without a log file: 400 for an empty path (as the agent), 404 for every other path.
 */
import type { MasterCallJson } from '../../api/mesos/operator.js';
import type { LoggingLevel } from '../../core/logging-level.js';

/** The master serves no file (see the module comment): the agent's answers for a path outside every attachment. */
function noSuchFile(path: string): FilesCallReply {
  if (path === '') return { kind: 'status', status: 400, body: "Expecting 'path' to be non-empty" };
  return { kind: 'status', status: 404, body: 'No such file or directory.' };
}

/** A Response body (200) or a status with a text body, as operator-v1-calls.ts answers. */
export type FilesCallReply = { readonly kind: 'response'; readonly body: Record<string, unknown> } | { readonly kind: 'status'; readonly status: number; readonly body: string };

/** Runs one of the three calls; the route already validated that the sub-message is present. */
export function runMasterFilesCall(call: MasterCallJson, loggingLevel: LoggingLevel): FilesCallReply {
  if (call.type === 'SET_LOGGING_LEVEL' && call.set_logging_level !== undefined) {
    loggingLevel.set(call.set_logging_level.level, Math.max(0, call.set_logging_level.duration.nanoseconds / 1e6));
    return { kind: 'status', status: 200, body: '' };
  }
  if (call.type === 'LIST_FILES' && call.list_files !== undefined) {
    return noSuchFile(call.list_files.path);
  }
  if (call.type === 'READ_FILE' && call.read_file !== undefined) {
    return noSuchFile(call.read_file.path);
  }
  return { kind: 'status', status: 400, body: `Failed to validate master::Call: Expecting the ${String(call.type).toLowerCase()} sub-message to be present` };
}
