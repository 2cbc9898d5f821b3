/**
 * `GET /v2/info` (spec §3.10) from the effective flags. In HA mode (`--zk`) the leader's framework runs with
 * internal flags (no zk, port 0), so the zk settings come in `ha` and the public port from `baseUrl` (the
 * advertised address); every node
 * forwards `/v2/info` to the leader, so leader and standbys answer the same document.
 */
import { AGORA_VERSION } from '../../core/version.js';
import type { FlagValues } from '../../core/flags.js';

/** What an HA node tells its leader term about itself (src/apps/ha.ts). */
export interface InfoHa {
  /** The `--zk` URL as given (credentials are removed before it is shown). */
  readonly zk: string;
  readonly zkSessionTimeoutMs: number;
}

/** A `zk://user:pass@hosts/path` (or `user:pass@host:port`) address without its credentials. */
export function redactCredentials(url: string): string {
  return url.replace(/^(zk:\/\/|https?:\/\/)?[^@/]*@/, '$1');
}

function numOr(v: unknown, fallback: number): number {
  return typeof v === 'number' ? v : fallback;
}

/** The port of the advertised URL (the actual one when `--port 0` chose an ephemeral port). */
function publicPort(baseUrl: string, flagPort: unknown): unknown {
  const m = /:(\d+)(?:\/|$)/.exec(baseUrl.replace(/^https?:\/\//, ''));
  return m?.[1] !== undefined ? Number(m[1]) : flagPort;
}

/** The Info object; `leader` is this framework's advertised `host:port` (it only answers while leading). */
export function infoJson(flags: FlagValues, baseUrl: string, frameworkId: string | undefined, ha?: InfoHa): Record<string, unknown> {
  const leader = baseUrl.replace(/^https?:\/\//, '');
  const master = typeof flags['master'] === 'string' ? redactCredentials(flags['master']) : flags['master'];
  return {
    name: 'marathon',
    version: '1.11.0',
    buildref: `agora-${AGORA_VERSION}`,
    elected: true,
    leader,
    ...(frameworkId !== undefined ? { frameworkId } : {}),
    marathon_config: {
      master,
      framework_name: flags['framework_name'],
      mesos_role: flags['mesos_role'],
      mesos_user: flags['mesos_user'] ?? null,
      hostname: flags['hostname'] ?? flags['ip'],
      webui_url: baseUrl,
      local_port_min: flags['local_port_min'],
      local_port_max: flags['local_port_max'],
      max_instances_per_offer: flags['max_instances_per_offer'],
      max_running_deployments: numOr(flags['max_running_deployments'], 100),
      decline_offer_duration: flags['decline_offer_duration'],
      min_revive_offers_interval: flags['min_revive_offers_interval'],
      failover_timeout: flags['failover_timeout'],
      leader_proxy_read_timeout_ms: numOr(flags['leader_proxy_read_timeout'], 10_000),
      checkpoint: true,
      ha: ha !== undefined,
      features: [],
      executor: '//cmd',
      mesos_bridge_name: 'mesos-bridge',
      new_group_enforce_role: 'off',
      maintenance_mode: false,
    },
    zookeeper_config:
      ha === undefined
        ? {}
        : {
            zk: redactCredentials(ha.zk),
            zk_compression: true,
            zk_compression_threshold: 64 * 1024,
            zk_connection_timeout: ha.zkSessionTimeoutMs,
            zk_max_node_size: 1024 * 1024,
            zk_max_versions: 50,
            zk_session_timeout: ha.zkSessionTimeoutMs,
            zk_timeout: ha.zkSessionTimeoutMs,
          },
    http_config: { http_port: publicPort(baseUrl, flags['port']), https_port: 8443 },
    // Callback subscriptions are not enabled (spec §2.6.1): upstream then shows null.
    event_subscriber: null,
  };
}
