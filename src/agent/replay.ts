/**
 * Rebuilds frameworks, tasks and status update queues from the journal (pure apart from feeding the
 * status update manager). Later records win; a `fwgone` forgets the framework and its tasks.
 */
import { isTerminalState, type ExecutorInfoJson } from '../api/mesos/common.js';
import type { JournalRecord } from './checkpoint/recovery.js';
import type { StatusUpdateManager } from './status-updates/manager.js';
import { applyStatus, type FrameworkRecord, type TaskRecord } from './task-record.js';

/** An executor run as the journal remembers it (src/agent/executors re-attaches it). */
export interface ExecutorCheckpoint {
  readonly fid: string;
  readonly info: ExecutorInfoJson;
  readonly cid: string;
  readonly dir: string;
  pid: number | undefined;
}

export interface Replayed {
  readonly frameworks: Map<string, FrameworkRecord>;
  /** Executors not known to have ended, keyed `<fid>/<eid>`. */
  readonly executors: Map<string, ExecutorCheckpoint>;
}

export function replayJournal(records: readonly JournalRecord[], updates: StatusUpdateManager): Replayed {
  const frameworks = new Map<string, FrameworkRecord>();
  const executors = new Map<string, ExecutorCheckpoint>();
  const task = (fid: string, tid: string): TaskRecord | undefined => frameworks.get(fid)?.tasks.get(tid);
  for (const r of records) {
    switch (r.k) {
      case 'fw': {
        const fid = r.fw.id?.value;
        if (fid === undefined) break;
        const fw = frameworks.get(fid);
        if (fw === undefined) frameworks.set(fid, { info: r.fw, tasks: new Map(), completed: [] });
        else fw.info = r.fw;
        break;
      }
      case 'fwgone':
        frameworks.delete(r.fid);
        updates.dropFramework(r.fid);
        for (const [k, e] of executors) if (e.fid === r.fid) executors.delete(k);
        break;
      case 'exec':
        executors.set(`${r.fid}/${r.info.executor_id.value}`, { fid: r.fid, info: r.info, cid: r.cid, dir: r.dir, pid: undefined });
        break;
      case 'epid': {
        const e = executors.get(`${r.fid}/${r.eid}`);
        if (e !== undefined) e.pid = r.pid;
        break;
      }
      case 'execgone':
        executors.delete(`${r.fid}/${r.eid}`);
        break;
      case 'task': {
        const fw = frameworks.get(r.fid);
        if (fw === undefined) break;
        fw.tasks.set(r.task.task_id.value, {
          fid: r.fid,
          task: r.task,
          containerId: r.cid,
          sandbox: r.dir,
          state: 'TASK_STAGING',
          latest: undefined,
          statuses: [],
          supervisorPid: undefined,
          launching: undefined,
          killRequested: false,
          killTimer: undefined,
          ...(r.eid !== undefined ? { executorId: r.eid } : {}),
          ...(r.gid !== undefined ? { groupId: r.gid } : {}),
        });
        break;
      }
      case 'pid': {
        const t = task(r.fid, r.tid);
        if (t !== undefined) t.supervisorPid = r.pid;
        break;
      }
      case 'state': {
        const t = task(r.fid, r.st.task_id.value);
        if (t !== undefined) applyStatus(t, r.st);
        break;
      }
      case 'upd': {
        const t = task(r.fid, r.st.task_id.value);
        if (t !== undefined) applyStatus(t, r.st);
        if (frameworks.has(r.fid)) updates.restore(r.fid, r.st);
        break;
      }
      case 'ack':
        updates.restoreAck(r.fid, r.tid, r.uuid);
        break;
    }
  }
  for (const fw of frameworks.values()) {
    for (const t of [...fw.tasks.values()]) {
      if (t.state === 'TASK_KILLING') t.killRequested = true;
      // Terminal and fully acknowledged: completed, not live.
      if (isTerminalState(t.state) && updates.pendingCount(t.fid, t.task.task_id.value) === 0) {
        fw.tasks.delete(t.task.task_id.value);
        fw.completed.push(t);
      }
    }
  }
  return { frameworks, executors };
}

/**
 * The journal's compacted form: live frameworks and tasks, the latest acknowledged state of each task,
 * then every queued (unacknowledged) update in order. Also returns the JSON of each framework written.
 */
export function compactRecords(
  frameworks: ReadonlyMap<string, FrameworkRecord>,
  updates: StatusUpdateManager,
  executors: Iterable<ExecutorCheckpoint> = [],
): { records: JournalRecord[]; frameworks: Map<string, string> } {
  const out: JournalRecord[] = [];
  const written = new Map<string, string>();
  const liveExecutors = [...executors];
  for (const [fid, fw] of frameworks) {
    const mine = liveExecutors.filter((e) => e.fid === fid);
    if (fw.tasks.size === 0 && mine.length === 0) continue;
    out.push({ k: 'fw', fw: fw.info });
    written.set(fid, JSON.stringify(fw.info));
    for (const e of mine) {
      out.push({ k: 'exec', fid, info: e.info, cid: e.cid, dir: e.dir });
      if (e.pid !== undefined) out.push({ k: 'epid', fid, eid: e.info.executor_id.value, pid: e.pid });
    }
    for (const t of fw.tasks.values()) {
      const tid = t.task.task_id.value;
      const ex = { ...(t.executorId !== undefined ? { eid: t.executorId } : {}), ...(t.groupId !== undefined ? { gid: t.groupId } : {}) };
      out.push({ k: 'task', fid, task: t.task, cid: t.containerId, dir: t.sandbox, ...ex });
      if (t.supervisorPid !== undefined) out.push({ k: 'pid', fid, tid, pid: t.supervisorPid });
      if (t.latest !== undefined && updates.head(fid, tid) === undefined) out.push({ k: 'state', fid, st: t.latest });
    }
  }
  out.push(...updates.queuedRecords());
  return { records: out, frameworks: written };
}
