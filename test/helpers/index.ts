/** Integration test helpers: daemons as child processes, a raw-HTTP scheduler, polling, /proc inspection. */
export * from './daemons.js';
export * from './http.js';
export * from './mesos.js';
export * from './ports.js';
export * from './proc.js';
export * from './scheduler-client.js';
export * from './wait.js';
export * from './cluster.js';
