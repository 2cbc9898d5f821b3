/** The agent simulator (ADR 0041): a fleet of protocol-level agents for tests and benchmarks. */
export { startAgentFleet, DEFAULT_SIM_RESOURCES, type Fleet, type FleetOptions, type FleetStats, type TaskBehaviour } from './fleet.js';
