/**
 * Resource usage of task process groups from /proc, for `/monitor/statistics`. One pass over /proc per
 * request collects every process by process group, so the cost does not grow with tasks × processes.
 */
import { readdir, readFile } from 'node:fs/promises';

export interface GroupUsage {
  processes: number;
  threads: number;
  utimeTicks: number;
  stimeTicks: number;
  rssPages: number;
}

/** Clock ticks per second and page size on Linux x86-64/arm64 (sysconf defaults). */
export const CLK_TCK = 100;
export const PAGE_SIZE = 4096;

/** Usage per process group id, for the given groups only. */
export async function usageByGroup(pgids: ReadonlySet<number>): Promise<Map<number, GroupUsage>> {
  const out = new Map<number, GroupUsage>();
  if (pgids.size === 0) return out;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return out;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        let text: string;
        try {
          text = await readFile(`/proc/${pid}/stat`, 'utf8');
        } catch {
          return;
        }
        // Fields after the parenthesised command name (which may itself contain spaces and parens).
        const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
        const pgrp = Number(rest[2]);
        if (!pgids.has(pgrp)) return;
        const u = out.get(pgrp) ?? { processes: 0, threads: 0, utimeTicks: 0, stimeTicks: 0, rssPages: 0 };
        u.processes++;
        u.utimeTicks += Number(rest[11]);
        u.stimeTicks += Number(rest[12]);
        u.threads += Number(rest[17]);
        u.rssPages += Number(rest[21]);
        out.set(pgrp, u);
      }),
  );
  return out;
}
