/**
 * The dependency graph, derived from the jobs' `parents` (edges parent → child). Pure: write-time validation
 * (unknown parent, self-parent, cycle → 400), the children a delete would orphan (409 unless cascading), and
 * upstream's DOT and CSV renderings (spec §2.2 (13), (14)).
 */
import type { JobJson } from './job-schema.js';
import { badRequest } from './errors.js';

export type JobsByName = ReadonlyMap<string, JobJson>;

/** Throws 400 unless `job` can be written: every parent exists, none is itself, and no cycle appears. */
export function validateParents(job: JobJson, jobs: JobsByName): void {
  const parents = job.parents;
  if (parents === undefined) return;
  if (parents.includes(job.name)) throw badRequest(`Job '${job.name}' cannot be its own parent`);
  const missing = parents.filter((p) => !jobs.has(p));
  if (missing.length > 0) throw badRequest(`Job '${job.name}' does not have all parents defined! Unknown: ${missing.join(', ')}`);
  // A cycle exists iff the new job is reachable from one of its parents by walking up the parents.
  const seen = new Set<string>();
  const stack = [...parents];
  while (stack.length > 0) {
    const n = stack.pop();
    if (n === undefined || seen.has(n)) continue;
    seen.add(n);
    if (n === job.name) throw badRequest(`Adding job '${job.name}' with parents ${parents.join(', ')} would create a cycle`);
    for (const p of jobs.get(n)?.parents ?? []) stack.push(p);
  }
}

/** Names of the jobs that list `name` as a parent, sorted. */
export function childrenOf(name: string, jobs: JobsByName): string[] {
  const out: string[] = [];
  for (const j of jobs.values()) if (j.parents?.includes(name) === true) out.push(j.name);
  return out.sort();
}

/** `success`, `failure` or `fresh` from lastSuccess/lastError; an equal timestamp counts as failure. */
export function lastStatus(job: JobJson): 'success' | 'failure' | 'fresh' {
  if (job.lastSuccess === '' && job.lastError === '') return 'fresh';
  if (job.lastError === '') return 'success';
  if (job.lastSuccess === '') return 'failure';
  return Date.parse(job.lastSuccess) > Date.parse(job.lastError) ? 'success' : 'failure';
}

/** Jobs in a stable order (by name) so ids in the DOT output are reproducible. */
function ordered(jobs: JobsByName): JobJson[] {
  return [...jobs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `digraph G {`, one `  <n> [ label="<name>" ];` per job, one `  <p> -> <c>;` per edge, `}`. */
export function graphDot(jobs: JobsByName): string {
  const list = ordered(jobs);
  const ids = new Map(list.map((j, i) => [j.name, i + 1]));
  const lines = ['digraph G {'];
  for (const j of list) lines.push(`  ${ids.get(j.name) ?? 0} [ label="${j.name}" ];`);
  for (const j of list) for (const p of j.parents ?? []) if (ids.has(p)) lines.push(`  ${ids.get(p) ?? 0} -> ${ids.get(j.name) ?? 0};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** `node,<name>,<lastState>,<currentState>` per job then `link,<parent>,<child>` per edge; no header. */
export function graphCsv(jobs: JobsByName, currentState: (name: string) => string): string {
  const list = ordered(jobs);
  const lines = list.map((j) => `node,${j.name},${lastStatus(j)},${currentState(j.name)}`);
  for (const j of list) for (const p of j.parents ?? []) lines.push(`link,${p},${j.name}`);
  return lines.map((l) => `${l}\n`).join('');
}

/** How a delete treats the deleted job's children (spec §2.2 (7)). */
export type CascadeMode = 'reparent' | 'convert';

/** A child of a deleted job: the edge goes; an orphan takes the grandparents or the deleted job's schedule. */
export function cascadeChild(child: JobJson, deleted: JobJson, mode: CascadeMode): JobJson {
  const rest = (child.parents ?? []).filter((p) => p !== deleted.name);
  const grand = deleted.parents ?? [];
  const parents = mode === 'reparent' || rest.length === 0 ? [...new Set([...rest, ...grand])] : rest;
  if (parents.length > 0) return { ...child, parents };
  const out: JobJson = { ...child, schedule: deleted.schedule ?? 'R1//PT24H', scheduleTimeZone: deleted.scheduleTimeZone ?? '' };
  delete out.parents;
  return out;
}
