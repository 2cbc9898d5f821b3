/** `GET /v2/info` (spec §3.10) from the effective flags. */
import { AGORA_VERSION } from '../../core/version.js';
import type { FlagValues } from '../../core/flags.js';

export function infoJson(flags: FlagValues, baseUrl: string, frameworkId: string | undefined): Record<string, unknown> {
  const leader = baseUrl.replace(/^https?:\/\//, '');
  return {
    name: 'marathon',
    version: '1.11.0',
    buildref: `agora-${AGORA_VERSION}`,
    elected: true,
    leader,
    ...(frameworkId !== undefined ? { frameworkId } : {}),
    marathon_config: {
      master: flags['master'],
      framework_name: flags['framework_name'],
      mesos_role: flags['mesos_role'],
      hostname: flags['hostname'] ?? flags['ip'],
      local_port_min: flags['local_port_min'],
      local_port_max: flags['local_port_max'],
      max_instances_per_offer: flags['max_instances_per_offer'],
      decline_offer_duration: flags['decline_offer_duration'],
      failover_timeout: flags['failover_timeout'],
      checkpoint: true,
      ha: false,
      features: [],
      executor: '//cmd',
    },
    zookeeper_config: {},
    http_config: { http_port: flags['port'] },
  };
}
