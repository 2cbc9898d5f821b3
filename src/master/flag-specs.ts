/** The master's flags (defaults per spec §6.1; heartbeat_interval is ours, see index.ts). */
import type { FlagSpec } from '../core/flags.js';
import { DEFAULT_BODY_LIMIT } from '../transport/http-server.js';

/** Flag table of `agora master`; defaults are upstream's except heartbeat_interval (5 s, spec §7). */
export const MASTER_FLAG_SPECS: readonly FlagSpec[] = [
  { name: 'port', type: 'int', default: '5050', help: 'Port to listen on (0 = ephemeral)' },
  { name: 'ip', type: 'string', default: '127.0.0.1', help: 'IP address to listen on' },
  { name: 'hostname', type: 'string', help: 'Hostname advertised in MasterInfo (default: the ip)' },
  { name: 'work_dir', type: 'string', help: 'Directory for the registry (registry.db); required' },
  { name: 'allocation_interval', type: 'duration', default: '1secs', help: 'Interval between allocation cycles' },
  { name: 'offer_timeout', type: 'duration', help: 'Rescind unanswered offers after this long (unset = never)' },
  { name: 'agent_ping_timeout', type: 'duration', default: '15secs', help: 'Interval between pings to an agent' },
  { name: 'max_agent_ping_timeouts', type: 'int', default: '5', help: 'Missed pings before an agent is unreachable' },
  { name: 'agent_removal_rate_limit', type: 'string', help: 'Rate at which agents may be marked unreachable, <count>/<duration> (e.g. 1/10mins; unset = no limit)' },
  { name: 'agent_reregister_timeout', type: 'duration', default: '10mins', help: 'Time recovered agents have to re-register' },
  { name: 'heartbeat_interval', type: 'duration', default: '5secs', help: 'Scheduler stream heartbeat interval' },
  { name: 'max_completed_frameworks', type: 'int', default: '50', help: 'Completed frameworks kept in memory' },
  { name: 'max_operator_event_stream_subscribers', type: 'int', default: '1000', help: 'Open operator SUBSCRIBE streams kept (the oldest is closed beyond)' },
  { name: 'max_completed_tasks_per_framework', type: 'int', default: '1000', help: 'Completed tasks kept per framework' },
  { name: 'max_body_size', type: 'int', default: String(DEFAULT_BODY_LIMIT), help: 'Largest request body in bytes (413 beyond)' },
  { name: 'roles', type: 'string', help: 'Comma-separated whitelist of roles (unset = any role)' },
  { name: 'root_submissions', type: 'bool', default: 'true', help: 'Allow frameworks to run as root' },
  { name: 'weights', type: 'string', help: 'Role weights as role=weight,... (weights set through /weights override them)' },
  { name: 'zk', type: 'string', help: 'zk://host1:2181,host2:2181/path: contend for leadership and keep the registry in ZooKeeper (unset = single master, SQLite registry)' },
  { name: 'zk_session_timeout', type: 'duration', default: '10secs', help: 'ZooKeeper session timeout (with --zk)' },
  { name: 'filter_gpu_resources', type: 'bool', default: 'true', help: 'Offer GPU agents only to GPU_RESOURCES frameworks' },
];
