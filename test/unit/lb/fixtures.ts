/** Small `/v2/apps?embed=apps.tasks` bodies for the lb unit tests. */

export interface TaskFixture {
  id: string;
  host?: string;
  state?: string;
  ports?: number[];
  healthCheckResults?: { alive: boolean }[];
}

export function task(id: string, port: number, extra: Partial<TaskFixture> = {}): TaskFixture {
  return { id, host: '10.0.0.1', state: 'TASK_RUNNING', ports: [port], healthCheckResults: [], ...extra };
}

export function app(id: string, servicePorts: number[], labels: Record<string, string>, tasks: TaskFixture[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, labels, portDefinitions: servicePorts.map((port) => ({ port, protocol: 'tcp' })), healthChecks: [], tasks, ...extra };
}

export const EXTERNAL = { HAPROXY_GROUP: 'external' };
