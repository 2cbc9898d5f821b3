/**
 * The Mesos TaskInfo of an instance (spec §4.11): command from cmd (shell) or args, the resources carved out
 * of the offer, the Marathon environment (context vars, then HOST and port vars, then the user's env), the
 * kill grace period, labels, and the app's Mesos-side health check. Pure.
 */
import type { ResourceJson, TaskInfoJson } from '../../api/mesos/common.js';
import type { AppDefinition } from '../model/app.js';
import { hostnameForm } from '../model/path-id.js';
import { mesosHealthCheck } from '../health/mesos-checks.js';

function double(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

function sanitize(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]+/g, '_').toUpperCase();
}

/** The environment of a task launched with these host ports on `host`. */
export function taskEnv(app: AppDefinition, taskId: string, host: string, hostPorts: readonly number[]): Record<string, string> {
  const env: Record<string, string> = {
    MESOS_TASK_ID: taskId,
    MARATHON_APP_ID: app.id,
    MARATHON_APP_VERSION: app.version,
    MARATHON_APP_RESOURCE_CPUS: double(app.cpus),
    MARATHON_APP_RESOURCE_MEM: double(app.mem),
    MARATHON_APP_RESOURCE_DISK: double(app.disk),
    MARATHON_APP_RESOURCE_GPUS: String(app.gpus),
  };
  const labelKeys: string[] = [];
  for (const [k, v] of Object.entries(app.labels)) {
    if (k.length >= 493 || v.length >= 512) continue;
    labelKeys.push(sanitize(k));
    env[`MARATHON_APP_LABEL_${sanitize(k)}`] = v;
  }
  env['MARATHON_APP_LABELS'] = labelKeys.join(' ');
  env['HOST'] = host;
  if (hostPorts.length > 0) {
    hostPorts.forEach((p, i) => {
      env[`PORT${i}`] = String(p);
      const def = app.portDefinitions[i];
      if (def !== undefined) {
        if (app.requirePorts && def.port !== 0) env[`PORT_${def.port}`] = String(p);
        else env[`PORT_${p}`] = String(p);
        if (def.name !== undefined) env[`PORT_${def.name.toUpperCase()}`] = String(p);
      }
    });
    env['PORT'] = String(hostPorts[0]);
    env['PORTS'] = hostPorts.join(',');
  }
  for (const [k, v] of Object.entries(app.env)) if (typeof v === 'string') env[k] = v;
  return env;
}

export function buildTaskInfo(app: AppDefinition, taskId: string, agentId: string, host: string, resources: ResourceJson[], hostPorts: readonly number[]): TaskInfoJson {
  const env = taskEnv(app, taskId, host, hostPorts);
  const variables = Object.entries(env).map(([name, value]) => ({ name, value }));
  const command: TaskInfoJson['command'] =
    app.cmd !== undefined
      ? { shell: true, value: app.cmd, environment: { variables } }
      : { shell: false, value: app.args[0] ?? '', arguments: [...app.args], environment: { variables } };
  if (app.user !== undefined && command !== undefined) command.user = app.user;
  const task: TaskInfoJson = {
    name: hostnameForm(app.id),
    task_id: { value: taskId },
    agent_id: { value: agentId },
    resources,
    command,
    labels: { labels: Object.entries(app.labels).map(([key, value]) => ({ key, value })) },
  };
  const healthCheck = mesosHealthCheck(app, hostPorts);
  if (healthCheck !== undefined) task.health_check = healthCheck;
  if (app.taskKillGracePeriodSeconds !== undefined) {
    task.kill_policy = { grace_period: { nanoseconds: app.taskKillGracePeriodSeconds * 1_000_000_000 } };
  }
  return task;
}
