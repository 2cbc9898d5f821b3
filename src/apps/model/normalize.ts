/**
 * App body → normalised AppDefinition (spec §3.1): defaults, legacy `ports`, upper-cased constraint operators,
 * then semantic validation (422 `Object is not valid` with every violation grouped by path). With a `base`
 * (PUT/PATCH with partialUpdate) absent fields keep the base's values. Version fields are left to the caller.
 */
import type { AppBody, HealthCheckBody } from '../api/app-schema.js';
import { groupDetails, notValid, shapeError } from '../api/errors.js';
import type { AppDefinition, HealthCheck, HealthProtocol, KillSelection, PortDefinition, UnreachableStrategy } from './app.js';
import { appIdErrors, canonicalId } from './path-id.js';
import { constraintErrors, normalizeConstraint } from './constraints.js';

const HEALTH_PROTOCOLS: readonly HealthProtocol[] = ['HTTP', 'HTTPS', 'TCP', 'COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP'];
const DEFAULT_PORTS: readonly PortDefinition[] = [{ port: 0, protocol: 'tcp', name: 'default' }];

export interface NormalizeOptions {
  /** Id from the URL path (PUT/PATCH /v2/apps/{id}); wins over the body's id. */
  readonly pathId?: string;
  /** Existing app whose values fill absent fields (partial update). */
  readonly base?: AppDefinition;
  /** Role of an app that names none and has no base: fixed (`--mesos_role`), or per app id (model/role.ts). */
  readonly defaultRole?: string | ((appId: string) => string);
}

type Violation = { path: string; error: string };

function nonNegative(v: Violation[], path: string, n: number, double = false): void {
  if (n < 0) v.push({ path, error: `got ${n}, expected ${double ? '0.0' : '0'} or more` });
}

function healthCheck(h: HealthCheckBody): HealthCheck {
  const protocol = (h.protocol ?? 'HTTP').toUpperCase() as HealthProtocol;
  const out: HealthCheck = {
    protocol,
    gracePeriodSeconds: h.gracePeriodSeconds ?? 300,
    intervalSeconds: h.intervalSeconds ?? 60,
    timeoutSeconds: h.timeoutSeconds ?? 20,
    maxConsecutiveFailures: h.maxConsecutiveFailures ?? 3,
    delaySeconds: h.delaySeconds ?? 15,
    ipProtocol: h.ipProtocol === 'IPv6' ? 'IPv6' : 'IPv4',
  };
  const isHttp = protocol === 'HTTP' || protocol === 'HTTPS' || protocol === 'MESOS_HTTP' || protocol === 'MESOS_HTTPS';
  return {
    ...out,
    ...(h.port !== undefined ? { port: h.port } : protocol !== 'COMMAND' ? { portIndex: h.portIndex ?? 0 } : {}),
    ...(isHttp ? { path: h.path ?? '/' } : {}),
    ...(protocol === 'HTTP' || protocol === 'HTTPS' ? { ignoreHttp1xx: h.ignoreHttp1xx ?? false } : {}),
    ...(h.command !== undefined ? { command: h.command } : {}),
  };
}

function unreachable(u: AppBody['unreachableStrategy']): UnreachableStrategy {
  if (u === undefined) return { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 };
  if (typeof u === 'string') return 'disabled';
  return { inactiveAfterSeconds: u.inactiveAfterSeconds ?? 0, expungeAfterSeconds: u.expungeAfterSeconds ?? 0 };
}

/** Normalises and validates; throws ApiError 422 on any violation. The result's version is `''`. */
export function normalizeApp(body: AppBody, opts: NormalizeOptions = {}): AppDefinition {
  const b = opts.base;
  const rawId = opts.pathId ?? body.id ?? b?.id;
  if (rawId === undefined) throw shapeError([{ path: '/id', errors: ['error.path.missing'] }]);
  const v: Violation[] = [];
  for (const e of appIdErrors(rawId)) v.push({ path: '/id', error: e });
  const id = canonicalId(rawId);

  // cmd/args: in a partial update, giving one clears the other only when it is explicitly null.
  const cmd = body.cmd === null ? undefined : (body.cmd ?? (body.args !== undefined && body.args !== null ? undefined : b?.cmd));
  const args = body.args === null ? [] : (body.args ?? (body.cmd !== undefined && body.cmd !== null ? [] : (b?.args ?? [])));
  if (cmd === '') v.push({ path: '/cmd', error: 'must not be an empty string' });
  if ((cmd === undefined) === (args.length === 0)) {
    v.push({ path: '/', error: "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'." });
  }

  const instances = body.instances ?? b?.instances ?? 1;
  nonNegative(v, '/instances', instances);
  const cpus = body.cpus ?? b?.cpus ?? 1;
  const mem = body.mem ?? b?.mem ?? 128;
  const disk = body.disk ?? b?.disk ?? 0;
  const gpus = body.gpus ?? b?.gpus ?? 0;
  nonNegative(v, '/cpus', cpus, true);
  nonNegative(v, '/mem', mem, true);
  nonNegative(v, '/disk', disk, true);
  nonNegative(v, '/gpus', gpus);

  const rawConstraints = body.constraints ?? b?.constraints ?? [];
  rawConstraints.forEach((c, i) => {
    for (const e of constraintErrors(c)) v.push({ path: `/constraints(${i})`, error: e });
  });

  let portDefinitions: readonly PortDefinition[];
  if (body.portDefinitions !== undefined) {
    portDefinitions = body.portDefinitions.map((p) => ({
      port: p.port ?? 0,
      protocol: p.protocol ?? 'tcp',
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.labels !== undefined ? { labels: p.labels } : {}),
    }));
  } else if (body.ports !== undefined) {
    portDefinitions = body.ports.map((port) => ({ port, protocol: 'tcp' }));
  } else {
    portDefinitions = b?.portDefinitions ?? DEFAULT_PORTS;
  }
  portDefinitions.forEach((p, i) => {
    if (p.port < 0 || p.port > 65535) v.push({ path: `/portDefinitions(${i})/port`, error: `got ${p.port}, expected between 0 and 65535` });
    if (!['tcp', 'udp', 'udp,tcp'].includes(p.protocol)) v.push({ path: `/portDefinitions(${i})/protocol`, error: 'error.unknown.enum.literal' });
  });
  const names = portDefinitions.map((p) => p.name).filter((n): n is string => n !== undefined);
  if (new Set(names).size !== names.length) v.push({ path: '/portDefinitions', error: 'Port names must be unique.' });
  const fixed = portDefinitions.map((p) => p.port).filter((p) => p !== 0);
  if (new Set(fixed).size !== fixed.length) v.push({ path: '/portDefinitions', error: 'Ports must be unique.' });

  const healthBodies = body.healthChecks;
  const healthChecks = healthBodies !== undefined ? healthBodies.map(healthCheck) : (b?.healthChecks ?? []);
  healthChecks.forEach((h, i) => {
    if (!HEALTH_PROTOCOLS.includes(h.protocol)) v.push({ path: `/healthChecks(${i})/protocol`, error: 'error.unknown.enum.literal' });
    if (h.portIndex !== undefined && h.port === undefined && h.portIndex >= portDefinitions.length) {
      v.push({ path: `/healthChecks(${i})`, error: 'Health check port indices must address an element of the ports array or container port mappings.' });
    }
    if (h.protocol === 'COMMAND' && h.command === undefined) v.push({ path: `/healthChecks(${i})/command`, error: 'error.path.missing' });
    nonNegative(v, `/healthChecks(${i})/gracePeriodSeconds`, h.gracePeriodSeconds);
    nonNegative(v, `/healthChecks(${i})/intervalSeconds`, h.intervalSeconds);
    nonNegative(v, `/healthChecks(${i})/maxConsecutiveFailures`, h.maxConsecutiveFailures);
  });

  const readinessChecks = body.readinessChecks !== undefined
    ? body.readinessChecks.map((r) => ({
        name: r.name ?? 'readinessCheck',
        protocol: (r.protocol ?? 'HTTP').toUpperCase() as 'HTTP' | 'HTTPS',
        path: r.path ?? '/',
        portName: r.portName ?? 'http-api',
        intervalSeconds: r.intervalSeconds ?? 30,
        timeoutSeconds: r.timeoutSeconds ?? 10,
        httpStatusCodesForReady: r.httpStatusCodesForReady ?? [200],
        preserveLastResponse: r.preserveLastResponse ?? false,
      }))
    : (b?.readinessChecks ?? []);
  if (readinessChecks.length > 1) v.push({ path: '/readinessChecks', error: 'size must be between 0 and 1' });
  readinessChecks.forEach((r, i) => {
    const p = `/readinessChecks(${i})`;
    if (r.name === '') v.push({ path: `${p}/name`, error: 'must not be empty' });
    if (r.protocol !== 'HTTP' && r.protocol !== 'HTTPS') v.push({ path: `${p}/protocol`, error: 'error.unknown.enum.literal' });
    if (!portDefinitions.some((d) => d.name === r.portName)) v.push({ path: `${p}/portName`, error: `No port definition reference for portName ${r.portName}` });
    if (r.timeoutSeconds < 1 || r.timeoutSeconds >= r.intervalSeconds) v.push({ path: `${p}/timeoutSeconds`, error: 'must be at least 1 and less than intervalSeconds' });
    if (r.httpStatusCodesForReady.length === 0 || r.httpStatusCodesForReady.some((c) => c < 100 || c > 999)) {
      v.push({ path: `${p}/httpStatusCodesForReady`, error: 'must be status codes between 100 and 999' });
    }
  });

  const us = body.upgradeStrategy;
  const upgradeStrategy = {
    minimumHealthCapacity: us?.minimumHealthCapacity ?? b?.upgradeStrategy.minimumHealthCapacity ?? 1,
    maximumOverCapacity: us?.maximumOverCapacity ?? b?.upgradeStrategy.maximumOverCapacity ?? 1,
  };
  for (const k of ['minimumHealthCapacity', 'maximumOverCapacity'] as const) {
    const x = upgradeStrategy[k];
    if (x < 0 || x > 1) v.push({ path: `/upgradeStrategy/${k}`, error: `got ${x}, expected between 0.0 and 1.0` });
  }

  const backoffSeconds = body.backoffSeconds ?? b?.backoffSeconds ?? 1;
  const backoffFactor = body.backoffFactor ?? b?.backoffFactor ?? 1.15;
  const maxLaunchDelaySeconds = body.maxLaunchDelaySeconds ?? b?.maxLaunchDelaySeconds ?? 300;
  nonNegative(v, '/backoffSeconds', backoffSeconds);
  if (backoffFactor < 1) v.push({ path: '/backoffFactor', error: `got ${backoffFactor}, expected 1.0 or more` });
  nonNegative(v, '/maxLaunchDelaySeconds', maxLaunchDelaySeconds);
  const grace = body.taskKillGracePeriodSeconds ?? b?.taskKillGracePeriodSeconds;
  if (grace !== undefined) nonNegative(v, '/taskKillGracePeriodSeconds', grace);

  const killSelection = (body.killSelection ?? b?.killSelection ?? 'YOUNGEST_FIRST') as KillSelection;
  if (killSelection !== 'YOUNGEST_FIRST' && killSelection !== 'OLDEST_FIRST') v.push({ path: '/killSelection', error: 'error.unknown.enum.literal' });

  const env = body.env ?? b?.env ?? {};
  if (Object.keys(env).some((k) => k === '')) v.push({ path: '/env', error: 'keys must not be empty' });

  if (v.length > 0) throw notValid(groupDetails(v));

  const user = body.user === null ? undefined : (body.user ?? b?.user);
  const roles = body.acceptedResourceRoles ?? b?.acceptedResourceRoles;
  return {
    id,
    ...(cmd !== undefined ? { cmd } : {}),
    args,
    ...(user !== undefined ? { user } : {}),
    instances,
    cpus,
    mem,
    disk,
    gpus,
    executor: body.executor ?? b?.executor ?? '',
    env,
    labels: body.labels ?? b?.labels ?? {},
    constraints: rawConstraints.map(normalizeConstraint),
    ...(roles !== undefined ? { acceptedResourceRoles: roles } : {}),
    role: body.role ?? b?.role ?? (typeof opts.defaultRole === 'function' ? opts.defaultRole(id) : opts.defaultRole) ?? '*',
    portDefinitions,
    requirePorts: body.requirePorts ?? b?.requirePorts ?? false,
    healthChecks,
    readinessChecks,
    dependencies: (body.dependencies ?? b?.dependencies ?? []).map((d) => canonicalId(d, id.split('/').slice(0, -1).join('/') || '/')),
    upgradeStrategy,
    backoffSeconds,
    backoffFactor,
    maxLaunchDelaySeconds,
    ...(grace !== undefined ? { taskKillGracePeriodSeconds: grace } : {}),
    killSelection,
    unreachableStrategy: body.unreachableStrategy !== undefined ? unreachable(body.unreachableStrategy) : (b?.unreachableStrategy ?? unreachable(undefined)),
    version: '',
  };
}
