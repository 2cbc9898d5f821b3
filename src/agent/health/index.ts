/**
 * Health checks and checks run by the agent for the tasks it executes itself (TaskInfo.health_check,
 * TaskInfo.check; spec §3.4, §6.11). The agent uses TaskChecks; the rest is exported for tests and reuse.
 */
export { TaskChecks, fallbackEnvironment, type CheckedTask, type CheckFields, type TaskChecksDeps } from './task-checks.js';
export { ProbeRunner, type Prober, type ProbeContext } from './runner.js';
export { systemProber, commandProbe, httpProbe, tcpProbe, probeEnvironment } from './probes.js';
export { healthSpec, checkSpec, HEALTH_DEFAULTS, type HealthSpec, type CheckSpec, type ProbeSpec, type CheckTiming } from '../../api/mesos/health-spec.js';
export {
  healthStep,
  initialHealth,
  probeHealthy,
  checkStatusOf,
  checkChanged,
  emptyCheckStatus,
  type HealthState,
  type HealthReport,
  type ProbeOutcome,
} from './state.js';
