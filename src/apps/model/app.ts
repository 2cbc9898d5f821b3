/**
 * The normalised app definition the framework works with (spec §3.1) and its JSON form (§1.3 output rules).
 * Every field has its default filled in; `version`/`versionInfo` are set by the server.
 */

export type KillSelection = 'YOUNGEST_FIRST' | 'OLDEST_FIRST';
export type HealthProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'COMMAND' | 'MESOS_HTTP' | 'MESOS_HTTPS' | 'MESOS_TCP';

export interface PortDefinition {
  readonly port: number;
  readonly protocol: string;
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface HealthCheck {
  readonly protocol: HealthProtocol;
  readonly gracePeriodSeconds: number;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly maxConsecutiveFailures: number;
  readonly delaySeconds: number;
  readonly ipProtocol: 'IPv4' | 'IPv6';
  readonly portIndex?: number;
  readonly port?: number;
  readonly path?: string;
  readonly ignoreHttp1xx?: boolean;
  readonly command?: { readonly value: string };
}

/** Readiness check (spec §3.4): polled on new instances during deployments. */
export interface ReadinessCheck {
  readonly name: string;
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly path: string;
  readonly portName: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly httpStatusCodesForReady: readonly number[];
  readonly preserveLastResponse: boolean;
}

export interface UpgradeStrategy {
  readonly minimumHealthCapacity: number;
  readonly maximumOverCapacity: number;
}

export type UnreachableStrategy = 'disabled' | { readonly inactiveAfterSeconds: number; readonly expungeAfterSeconds: number };

export type Constraint = readonly [string, string] | readonly [string, string, string];

export interface VersionInfo {
  readonly lastScalingAt: string;
  readonly lastConfigChangeAt: string;
}

export interface AppDefinition {
  readonly id: string;
  readonly cmd?: string;
  readonly args: readonly string[];
  readonly user?: string;
  readonly instances: number;
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly gpus: number;
  readonly executor: string;
  readonly env: Readonly<Record<string, string | { readonly secret: string }>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly constraints: readonly Constraint[];
  readonly acceptedResourceRoles?: readonly string[];
  readonly role: string;
  readonly portDefinitions: readonly PortDefinition[];
  readonly requirePorts: boolean;
  readonly healthChecks: readonly HealthCheck[];
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly dependencies: readonly string[];
  readonly upgradeStrategy: UpgradeStrategy;
  readonly backoffSeconds: number;
  readonly backoffFactor: number;
  readonly maxLaunchDelaySeconds: number;
  readonly taskKillGracePeriodSeconds?: number;
  readonly killSelection: KillSelection;
  readonly unreachableStrategy: UnreachableStrategy;
  readonly version: string;
  readonly versionInfo?: VersionInfo;
}

/** Formats epoch ms as Marathon's timestamp (`2015-09-29T15:59:51.164Z`). */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Fields whose change is a configuration change (an upgrade ⇒ rolling restart, spec §3.1); changing only
 * `instances` is a scale.
 */
export function isUpgrade(before: AppDefinition, after: AppDefinition): boolean {
  return JSON.stringify(configOf(before)) !== JSON.stringify(configOf(after));
}

function configOf(a: AppDefinition): object {
  const { instances: _i, version: _v, versionInfo: _vi, portDefinitions, ...rest } = a;
  // Assigned service ports are not part of the user's config; names/protocols are.
  return { ...rest, portDefinitions: portDefinitions.map((p) => ({ ...p, port: 0 })) };
}

/** App JSON per the HEAD serializer (§1.3) plus `ports` for old consumers. */
export function appJson(a: AppDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = { id: a.id };
  if (a.cmd !== undefined) out['cmd'] = a.cmd;
  if (a.args.length > 0) out['args'] = a.args;
  if (a.user !== undefined) out['user'] = a.user;
  Object.assign(out, {
    instances: a.instances,
    cpus: a.cpus,
    mem: a.mem,
    disk: a.disk,
    gpus: a.gpus,
    executor: a.executor,
  });
  if (Object.keys(a.env).length > 0) out['env'] = a.env;
  out['labels'] = a.labels;
  if (a.constraints.length > 0) out['constraints'] = a.constraints;
  if (a.acceptedResourceRoles !== undefined) out['acceptedResourceRoles'] = a.acceptedResourceRoles;
  Object.assign(out, {
    role: a.role,
    networks: [{ mode: 'host' }],
    portDefinitions: a.portDefinitions,
    ports: a.portDefinitions.map((p) => p.port),
    requirePorts: a.requirePorts,
  });
  if (a.healthChecks.length > 0) out['healthChecks'] = a.healthChecks;
  if (a.readinessChecks.length > 0) out['readinessChecks'] = a.readinessChecks;
  if (a.dependencies.length > 0) out['dependencies'] = a.dependencies;
  Object.assign(out, {
    upgradeStrategy: a.upgradeStrategy,
    backoffSeconds: a.backoffSeconds,
    backoffFactor: a.backoffFactor,
    maxLaunchDelaySeconds: a.maxLaunchDelaySeconds,
  });
  if (a.taskKillGracePeriodSeconds !== undefined) out['taskKillGracePeriodSeconds'] = a.taskKillGracePeriodSeconds;
  Object.assign(out, { killSelection: a.killSelection, unreachableStrategy: a.unreachableStrategy, version: a.version });
  if (a.versionInfo !== undefined) out['versionInfo'] = a.versionInfo;
  return out;
}
