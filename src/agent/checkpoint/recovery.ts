/**
 * What the agent checkpoints and how it is replayed. Agent metadata (id, info) lives in
 * `<work_dir>/meta/slave.json` (atomic write-then-rename + fsync); frameworks, tasks, pids and status
 * updates live in the append-only journal `<work_dir>/meta/journal.log`, replayed and compacted at start.
 */
import { dirname, join } from 'node:path';
import { rename, symlink } from 'node:fs/promises';
import type { ExecutorInfoJson, FrameworkInfoJson, TaskInfoJson, TaskStatusJson } from '../../api/mesos/common.js';
import type { UpdateRecord } from '../status-updates/manager.js';
import { readJsonFile, writeFileAtomic } from './atomic.js';

export type JournalRecord =
  | UpdateRecord
  | { readonly k: 'fw'; readonly fw: FrameworkInfoJson }
  | { readonly k: 'fwgone'; readonly fid: string }
  /** `eid`/`gid`: the task's executor and task group (src/agent/executors), absent for command tasks. */
  | { readonly k: 'task'; readonly fid: string; readonly task: TaskInfoJson; readonly cid: string; readonly dir: string; readonly eid?: string; readonly gid?: string }
  /** An executor run (custom or the built-in default one) and its supervisor pid; `execgone` once it ended. */
  | { readonly k: 'exec'; readonly fid: string; readonly info: ExecutorInfoJson; readonly cid: string; readonly dir: string }
  | { readonly k: 'epid'; readonly fid: string; readonly eid: string; readonly pid: number }
  | { readonly k: 'execgone'; readonly fid: string; readonly eid: string }
  | { readonly k: 'pid'; readonly fid: string; readonly tid: string; readonly pid: number }
  /** Latest (acknowledged) status of a task, written by compaction. */
  | { readonly k: 'state'; readonly fid: string; readonly st: TaskStatusJson };

export interface AgentMeta {
  readonly agent_id: string;
  readonly hostname?: string;
  readonly port?: number;
}

export const metaDir = (workDir: string): string => join(workDir, 'meta');
export const metaFile = (workDir: string): string => join(metaDir(workDir), 'slave.json');
export const journalFile = (workDir: string): string => join(metaDir(workDir), 'journal.log');
export const runsDir = (workDir: string): string => join(metaDir(workDir), 'runs');

/** The checkpointed agent metadata, if any. Corrupt metadata throws: the operator must decide. */
export async function readAgentMeta(workDir: string): Promise<AgentMeta | undefined> {
  const v = await readJsonFile(metaFile(workDir));
  if (v === undefined) return undefined;
  const m = v as Partial<AgentMeta>;
  if (typeof m.agent_id !== 'string' || m.agent_id === '') throw new Error(`corrupt agent checkpoint ${metaFile(workDir)}`);
  return m as AgentMeta;
}

export function writeAgentMeta(workDir: string, meta: AgentMeta): Promise<void> {
  return writeFileAtomic(metaFile(workDir), JSON.stringify(meta));
}

/** Sandbox of a command task's run (spec §6.1). */
export function sandboxPath(workDir: string, agentId: string, fid: string, eid: string, cid: string): string {
  return join(workDir, 'slaves', agentId, 'frameworks', fid, 'executors', eid, 'runs', cid);
}

/** Points the executor's `runs/latest` at this run (symlink to a temp name, then rename: atomic). */
export async function linkLatestRun(sandbox: string, containerId: string): Promise<void> {
  const latest = join(dirname(sandbox), 'latest');
  const tmp = `${latest}.${containerId}`;
  await symlink(containerId, tmp);
  await rename(tmp, latest);
}
