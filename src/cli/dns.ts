/**
 * `agora dns`: Mesos-DNS names for running tasks (src/lb/dns), served over UDP until SIGTERM/SIGINT.
 * Options can also come from `AGORA_DNS_<NAME>`.
 */
import { Command } from 'commander';
import { SystemClock } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { createLogger } from '../core/log.js';
import { startDns } from '../lb/dns/server.js';
import { stopOnSignals } from './run-daemon.js';

interface DnsCliOptions {
  master: string;
  domain: string;
  ip: string;
  port: string;
  ttl: string;
  refresh: string;
}

const env = (name: string, d: string): string => process.env[`AGORA_DNS_${name}`] ?? d;

async function runDns(o: DnsCliOptions): Promise<void> {
  const port = Number(o.port);
  const ttl = Number(o.ttl);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port expects a port number, got '${o.port}'`);
  if (!Number.isInteger(ttl) || ttl < 0) throw new Error(`--ttl expects seconds, got '${o.ttl}'`);
  const masterUrl = (/^https?:\/\//.test(o.master) ? o.master : `http://${o.master}`).replace(/\/+$/, '');
  const logger = createLogger('dns');
  const dns = await startDns({ masterUrl, domain: o.domain, ip: o.ip, port, ttl, refreshMs: parseDuration(o.refresh) }, { clock: new SystemClock(), logger });
  stopOnSignals('dns', dns, logger);
}

export function dnsCommand(action: (o: DnsCliOptions) => Promise<void> = runDns): Command {
  return new Command('dns')
    .description('Mesos-DNS names (A, SRV) for running tasks: <task>.<framework>.<domain>')
    .option('--master <url>', 'master URL or host:port [env AGORA_DNS_MASTER]', env('MASTER', 'http://127.0.0.1:5050'))
    .option('--domain <domain>', 'domain served [env AGORA_DNS_DOMAIN]', env('DOMAIN', 'agora'))
    .option('--ip <addr>', 'address to listen on [env AGORA_DNS_IP]', env('IP', '127.0.0.1'))
    .option('--port <port>', 'UDP port (0 = ephemeral) [env AGORA_DNS_PORT]', env('PORT', '8053'))
    .option('--ttl <seconds>', 'TTL of answers [env AGORA_DNS_TTL]', env('TTL', '60'))
    .option('--refresh <duration>', 'master state poll interval [env AGORA_DNS_REFRESH]', env('REFRESH', '2secs'))
    .action(async (o: DnsCliOptions) => {
      await action(o);
    });
}
