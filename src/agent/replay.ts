/**
 * Rebuilds frameworks, tasks and status update queues from the journal (pure apart from feeding the
 * status update manager). Later records win; a `fwgone` forgets the framework and its tasks.
 */
import { isTerminalState } from '../api/mesos/common.js';
import type { JournalRecord } from './checkpoint/recovery.js';
import type { StatusUpdateManager } from './status-updates/manager.js';
import { applyStatus, type FrameworkRecord, type TaskRecord } from './task-record.js';

export interface Replayed {
  readonly frameworks: Map<string, FrameworkRecord>;
}

export function replayJournal(records: readonly JournalRecord[], updates: StatusUpdateManager): Replayed {
  const frameworks = new Map<string, FrameworkRecord>();
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
  return { frameworks };
}

/**
 * The journal's compacted form: live frameworks and tasks, the latest acknowledged state of each task,
 * then every queued (unacknowledged) update in order. Also returns the JSON of each framework written.
 */
export function compactRecords(
  frameworks: ReadonlyMap<string, FrameworkRecord>,
  updates: StatusUpdateManager,
): { records: JournalRecord[]; frameworks: Map<string, string> } {
  const out: JournalRecord[] = [];
  const written = new Map<string, string>();
  for (const [fid, fw] of frameworks) {
    if (fw.tasks.size === 0) continue;
    out.push({ k: 'fw', fw: fw.info });
    written.set(fid, JSON.stringify(fw.info));
    for (const t of fw.tasks.values()) {
      const tid = t.task.task_id.value;
      out.push({ k: 'task', fid, task: t.task, cid: t.containerId, dir: t.sandbox });
      if (t.supervisorPid !== undefined) out.push({ k: 'pid', fid, tid, pid: t.supervisorPid });
      if (t.latest !== undefined && updates.head(fid, tid) === undefined) out.push({ k: 'state', fid, st: t.latest });
    }
  }
  out.push(...updates.queuedRecords());
  return { records: out, frameworks: written };
}
