/**
 * Pure text rendering for `agora tasks`, `agora agents`, `agora frameworks` and `agora events` from the
 * master's v1 operator responses (spec §5.9). Inputs are typed loosely: fields may be missing (older
 * masters, upstream Mesos) and render as `-`.
 */
import { table } from './apps-format.js';

/** The parts of mesos.v1.Task the CLI shows. */
export interface V1TaskJson {
  name?: string;
  task_id: { value: string };
  framework_id?: { value: string };
  agent_id?: { value: string };
  executor_id?: { value: string };
  state?: string;
  statuses?: { state?: string; healthy?: boolean; timestamp?: number }[];
}

/** master::Response::GetTasks. */
export interface GetTasksJson {
  pending_tasks?: V1TaskJson[];
  tasks?: V1TaskJson[];
  unreachable_tasks?: V1TaskJson[];
  completed_tasks?: V1TaskJson[];
  orphan_tasks?: V1TaskJson[];
}

interface ResourceJson {
  name?: string;
  scalar?: { value?: number };
}

/** master::Response::GetAgents::Agent (parts). */
export interface V1AgentJson {
  agent_info?: { id?: { value: string }; hostname?: string; port?: number };
  active?: boolean;
  pid?: string;
  total_resources?: ResourceJson[];
  allocated_resources?: ResourceJson[];
}

/** master::Response::GetFrameworks::Framework (parts). */
export interface V1FrameworkJson {
  framework_info?: { id?: { value: string }; name?: string; roles?: string[]; role?: string; user?: string };
  active?: boolean;
  connected?: boolean;
  allocated_resources?: ResourceJson[];
}

/** Every task of a GetTasks answer; completed ones only when `all`. Sorted by id. */
export function tasksOf(r: GetTasksJson, all: boolean): V1TaskJson[] {
  const list = [...(r.pending_tasks ?? []), ...(r.tasks ?? []), ...(r.unreachable_tasks ?? []), ...(all ? (r.completed_tasks ?? []) : [])];
  return list.sort((a, b) => a.task_id.value.localeCompare(b.task_id.value));
}

/** Finds one task (any list, completed included) by id. */
export function findTask(r: GetTasksJson, id: string): V1TaskJson | undefined {
  return tasksOf(r, true).find((t) => t.task_id.value === id);
}

/** `yes`/`no` from the latest status carrying `healthy`, `-` when the task has no health check result. */
export function healthOf(t: V1TaskJson): string {
  const last = t.statuses?.[t.statuses.length - 1];
  if (last?.healthy === undefined) return '-';
  return last.healthy ? 'yes' : 'no';
}

/** `agora tasks`: ID FRAMEWORK AGENT STATE HEALTHY. */
export function taskTable(tasks: readonly V1TaskJson[]): string[] {
  return table(
    ['ID', 'FRAMEWORK', 'AGENT', 'STATE', 'HEALTHY'],
    tasks.map((t) => [t.task_id.value, t.framework_id?.value ?? '-', t.agent_id?.value ?? '-', t.state ?? '-', healthOf(t)]),
  );
}

function scalar(res: readonly ResourceJson[] | undefined, name: string): number {
  return (res ?? []).filter((r) => r.name === name).reduce((a, r) => a + (r.scalar?.value ?? 0), 0);
}

function round(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** `agora agents`: ID HOSTNAME ADDRESS ACTIVE CPUS MEM (used/total). */
export function agentTable(agents: readonly V1AgentJson[]): string[] {
  return table(
    ['ID', 'HOSTNAME', 'ADDRESS', 'ACTIVE', 'CPUS', 'MEM'],
    agents.map((a) => {
      const addr = /@(.+)$/.exec(a.pid ?? '')?.[1] ?? (a.agent_info?.hostname !== undefined ? `${a.agent_info.hostname}:${a.agent_info.port ?? 5051}` : '-');
      return [
        a.agent_info?.id?.value ?? '-',
        a.agent_info?.hostname ?? '-',
        addr,
        a.active === true ? 'yes' : 'no',
        `${round(scalar(a.allocated_resources, 'cpus'))}/${round(scalar(a.total_resources, 'cpus'))}`,
        `${round(scalar(a.allocated_resources, 'mem'))}/${round(scalar(a.total_resources, 'mem'))}`,
      ];
    }),
  );
}

/** `agora frameworks`: ID NAME ROLES ACTIVE CONNECTED CPUS MEM (allocated). */
export function frameworkTable(frameworks: readonly V1FrameworkJson[]): string[] {
  return table(
    ['ID', 'NAME', 'ROLES', 'ACTIVE', 'CONNECTED', 'CPUS', 'MEM'],
    frameworks.map((f) => {
      const i = f.framework_info;
      const roles = i?.roles !== undefined && i.roles.length > 0 ? i.roles.join(',') : (i?.role ?? '*');
      return [
        i?.id?.value ?? '-',
        i?.name ?? '-',
        roles,
        f.active === true ? 'yes' : 'no',
        f.connected === true ? 'yes' : 'no',
        round(scalar(f.allocated_resources, 'cpus')),
        round(scalar(f.allocated_resources, 'mem')),
      ];
    }),
  );
}

/** Operator event types `agora events --type` accepts (master::Event::Type). */
export const OPERATOR_EVENT_TYPES = ['SUBSCRIBED', 'TASK_ADDED', 'TASK_UPDATED', 'AGENT_ADDED', 'AGENT_REMOVED', 'FRAMEWORK_ADDED', 'FRAMEWORK_UPDATED', 'FRAMEWORK_REMOVED', 'HEARTBEAT'] as const;

/** Parses `--type A,B` (case-insensitive); throws on an unknown name. Undefined = every type. */
export function parseEventTypes(raw: readonly string[] | undefined): ReadonlySet<string> | undefined {
  if (raw === undefined || raw.length === 0) return undefined;
  const out = new Set<string>();
  for (const part of raw.flatMap((r) => r.split(','))) {
    const name = part.trim().toUpperCase();
    if (name === '') continue;
    if (!(OPERATOR_EVENT_TYPES as readonly string[]).includes(name)) throw new Error(`unknown event type '${part.trim()}' (one of ${OPERATOR_EVENT_TYPES.join(', ')})`);
    out.add(name);
  }
  return out.size === 0 ? undefined : out;
}
