/**
 * The Marathon App definition as accepted on the wire (spec §3.1, §3.3), as TypeBox schemas. Every field is
 * optional at this level (defaults are applied by model/normalize.ts); unknown keys are ignored, as upstream's
 * Play JSON reads do. Shape errors found here become 422 `Invalid JSON` with `error.*` keys (spec §1.5).
 */
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';

const Opt = <S extends TSchema>(s: S) => T.Optional(s);
const Str = () => T.String();
const Num = () => T.Number();
const Int = () => T.Integer();

export const PortDefinitionSchema = T.Object({
  port: Opt(Int()),
  protocol: Opt(Str()),
  name: Opt(Str()),
  labels: Opt(T.Record(T.String(), T.String())),
});

export const HealthCheckSchema = T.Object({
  protocol: Opt(Str()),
  gracePeriodSeconds: Opt(Int()),
  intervalSeconds: Opt(Int()),
  timeoutSeconds: Opt(Int()),
  maxConsecutiveFailures: Opt(Int()),
  delaySeconds: Opt(Int()),
  portIndex: Opt(Int()),
  port: Opt(Int()),
  path: Opt(Str()),
  ignoreHttp1xx: Opt(T.Boolean()),
  ipProtocol: Opt(Str()),
  command: Opt(T.Object({ value: Str() })),
});

export const ReadinessCheckSchema = T.Object({
  name: Opt(Str()),
  protocol: Opt(Str()),
  path: Opt(Str()),
  portName: Opt(Str()),
  intervalSeconds: Opt(Int()),
  timeoutSeconds: Opt(Int()),
  httpStatusCodesForReady: Opt(T.Array(Int())),
  preserveLastResponse: Opt(T.Boolean()),
});

export const UpgradeStrategySchema = T.Object({
  minimumHealthCapacity: Opt(Num()),
  maximumOverCapacity: Opt(Num()),
});

export const EnvValueSchema = T.Union([Str(), T.Object({ secret: Str() })]);

/** POST/PUT body of one app. */
export const AppSchema = T.Object({
  id: Opt(Str()),
  cmd: Opt(T.Union([Str(), T.Null()])),
  args: Opt(T.Union([T.Array(Str()), T.Null()])),
  user: Opt(T.Union([Str(), T.Null()])),
  instances: Opt(Int()),
  cpus: Opt(Num()),
  mem: Opt(Num()),
  disk: Opt(Num()),
  gpus: Opt(Int()),
  executor: Opt(Str()),
  env: Opt(T.Record(T.String(), EnvValueSchema)),
  labels: Opt(T.Record(T.String(), T.String())),
  constraints: Opt(T.Array(T.Array(Str()))),
  acceptedResourceRoles: Opt(T.Array(Str())),
  role: Opt(Str()),
  portDefinitions: Opt(T.Array(PortDefinitionSchema)),
  ports: Opt(T.Array(Int())),
  requirePorts: Opt(T.Boolean()),
  healthChecks: Opt(T.Array(HealthCheckSchema)),
  readinessChecks: Opt(T.Array(ReadinessCheckSchema)),
  dependencies: Opt(T.Array(Str())),
  upgradeStrategy: Opt(UpgradeStrategySchema),
  backoffSeconds: Opt(Int()),
  backoffFactor: Opt(Num()),
  maxLaunchDelaySeconds: Opt(Int()),
  taskKillGracePeriodSeconds: Opt(Int()),
  killSelection: Opt(Str()),
  unreachableStrategy: Opt(T.Union([Str(), T.Object({ inactiveAfterSeconds: Opt(Int()), expungeAfterSeconds: Opt(Int()) })])),
  version: Opt(Str()),
});
export type AppBody = Static<typeof AppSchema>;
export type HealthCheckBody = Static<typeof HealthCheckSchema>;
export type PortDefinitionBody = Static<typeof PortDefinitionSchema>;

/** PUT /v2/apps (bulk): an array of apps. */
export const AppListSchema = T.Array(AppSchema);
