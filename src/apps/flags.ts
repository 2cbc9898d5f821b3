/** `agora apps` flags: Marathon's names and defaults where they exist (spec §4.15), plus Agora's tick interval. */
import type { FlagSpec } from '../core/flags.js';

export const APPS_FLAGS: readonly FlagSpec[] = [
  { name: 'port', type: 'int', help: 'HTTP port of the /v2 API (0 = ephemeral)', default: '8080' },
  { name: 'ip', type: 'string', help: 'address to listen on', default: '127.0.0.1' },
  { name: 'hostname', type: 'string', help: 'hostname advertised (leader, Location headers); default: --ip' },
  { name: 'master', type: 'string', help: 'master to subscribe to (host:port or zk://host:port/path)' },
  { name: 'work_dir', type: 'string', help: 'directory of the state store (apps.db)' },
  { name: 'framework_name', type: 'string', help: 'framework name', default: 'marathon' },
  { name: 'mesos_role', type: 'string', help: 'role of the framework', default: '*' },
  { name: 'mesos_user', type: 'string', help: 'user tasks run as (default: the framework user)' },
  { name: 'failover_timeout', type: 'int', help: 'framework failover timeout in seconds', default: '604800' },
  { name: 'decline_offer_duration', type: 'duration', help: 'refuse period of declined offers', default: '120secs' },
  { name: 'min_revive_offers_interval', type: 'duration', help: 'minimum time between REVIVE calls', default: '5secs' },
  { name: 'kill_retry_timeout', type: 'duration', help: 'resend a KILL not confirmed after this long', default: '30secs' },
  { name: 'max_instances_per_offer', type: 'int', help: 'instances launched per offer at most', default: '5' },
  { name: 'max_running_deployments', type: 'int', help: 'a change that would start more deployments is refused (403)', default: '100' },
  { name: 'local_port_min', type: 'int', help: 'lowest service port', default: '10000' },
  { name: 'local_port_max', type: 'int', help: 'highest service port', default: '20000' },
  { name: 'tick_interval', type: 'duration', help: 'how often apps are reconciled and health checks run', default: '1secs' },
  { name: 'zk', type: 'string', help: 'zk://host:port[,host:port]/path: state in ZooKeeper, leader election among instances (HA)' },
  { name: 'zk_session_timeout', type: 'duration', help: 'ZooKeeper session timeout (with --zk)', default: '10secs' },
  { name: 'leader_proxy_read_timeout', type: 'duration', help: 'longest wait for the leader when proxying (with --zk)', default: '10secs' },
];
