/**
 * `agora lb`: the marathon-lb-like load balancer (src/lb). Options use marathon-lb's dash names; each can also
 * come from `AGORA_LB_<NAME>` (dashes → underscores). Runs until SIGTERM/SIGINT, then stops the proxy.
 */
import { Command } from 'commander';
import { SystemClock } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { createLogger } from '../core/log.js';
import { startLb, type LbOptions } from '../lb/index.js';
import { stopOnSignals } from './run-daemon.js';

interface LbCliOptions {
  apps: string;
  group: string[];
  bind: string;
  port: string;
  statsPort: string;
  httpPort: string;
  httpsPort: string;
  sslCerts?: string;
  proxy: string;
  haproxyBin: string;
  haproxyConfig?: string;
  runDir?: string;
  coalesce: string;
  resyncInterval: string;
  minSlots: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').filter((g) => g !== '')];
}

function int(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} expects a port number, got '${text}'`);
  return n;
}

/** Parsed options → startLb options; throws on a bad value. */
export function lbOptions(o: LbCliOptions): LbOptions {
  if (o.proxy !== 'auto' && o.proxy !== 'haproxy' && o.proxy !== 'builtin') throw new Error(`--proxy must be auto, haproxy or builtin, got '${o.proxy}'`);
  const apps = o.apps.replace(/\/+$/, '');
  if (!/^(https?|zk):\/\//.test(apps)) throw new Error(`--apps must be an http(s) URL of agora apps or the zk:// URL of an HA apps group, got '${o.apps}'`);
  return {
    appsUrl: apps,
    groups: o.group.length > 0 ? o.group : ['external'],
    bind: o.bind,
    port: int('port', o.port),
    statsPort: int('stats-port', o.statsPort),
    httpPort: int('http-port', o.httpPort),
    httpsPort: int('https-port', o.httpsPort),
    sslCerts: (o.sslCerts ?? '').split(',').filter((c) => c !== ''),
    proxy: o.proxy,
    haproxyBin: o.haproxyBin,
    haproxyConfig: o.haproxyConfig,
    runDir: o.runDir,
    coalesceMs: parseDuration(o.coalesce),
    resyncIntervalMs: parseDuration(o.resyncInterval),
    minSlots: int('min-slots', o.minSlots),
  };
}

async function runLb(o: LbCliOptions): Promise<void> {
  const logger = createLogger('lb');
  const lb = await startLb(lbOptions(o), { clock: new SystemClock(), logger });
  logger.info({ url: lb.url, proxy: lb.proxy }, `agora lb status at ${lb.url}/_lb/status (proxy: ${lb.proxy})`);
  stopOnSignals('lb', lb, logger);
}

const env = (name: string, d: string): string => process.env[`AGORA_LB_${name}`] ?? d;

/** The command; `action` receives the parsed options (tests pass their own). */
export function lbCommand(action: (o: LbCliOptions) => Promise<void> = runLb): Command {
  return new Command('lb')
    .description('load balancer for apps service ports and vhosts (HAProxy, or a built-in proxy when HAProxy is missing)')
    .option('--apps <url>', 'agora apps (Marathon API) URL, or zk://h:p/path of an HA apps group (its leader is followed) [env AGORA_LB_APPS]', env('APPS', 'http://127.0.0.1:8080'))
    .option('--group <name>', 'HAPROXY_GROUP to serve, repeatable or comma-separated; * = all (default: external)', collect)
    .option('--bind <addr>', 'bind address of service ports, vhost and stats listeners (* = all) [env AGORA_LB_BIND]', env('BIND', '*'))
    .option('--port <port>', 'port of /_lb/status, /metrics, /health (0 = ephemeral) [env AGORA_LB_PORT]', env('PORT', '9090'))
    .option('--stats-port <port>', 'HAProxy stats page port, 0 = none [env AGORA_LB_STATS_PORT]', env('STATS_PORT', '9091'))
    .option('--http-port <port>', 'vhost HTTP port, 0 = none [env AGORA_LB_HTTP_PORT]', env('HTTP_PORT', '80'))
    .option('--https-port <port>', 'vhost HTTPS port (needs --ssl-certs or HAPROXY_{n}_SSL_CERT), 0 = none [env AGORA_LB_HTTPS_PORT]', env('HTTPS_PORT', '443'))
    .option('--ssl-certs <paths>', 'comma-separated PEM files for the HTTPS vhost port [env AGORA_LB_SSL_CERTS]', process.env['AGORA_LB_SSL_CERTS'])
    .option('--proxy <kind>', 'auto (HAProxy if installed), haproxy or builtin [env AGORA_LB_PROXY]', env('PROXY', 'auto'))
    .option('--haproxy-bin <path>', 'HAProxy executable [env AGORA_LB_HAPROXY_BIN]', env('HAPROXY_BIN', 'haproxy'))
    .option('--haproxy-config <path>', 'HAProxy config file to write (default: <run dir>/haproxy.cfg)', process.env['AGORA_LB_HAPROXY_CONFIG'])
    .option('--run-dir <dir>', 'directory of the HAProxy sockets and config (default: a new temp dir)', process.env['AGORA_LB_RUN_DIR'])
    .option('--coalesce <duration>', 'wait this long after an event before resyncing, to batch bursts', env('COALESCE', '200ms'))
    .option('--resync-interval <duration>', 'full resync at least this often', env('RESYNC_INTERVAL', '60secs'))
    .option('--min-slots <n>', 'HAProxy server slots per backend at least (runtime-API scaling room)', env('MIN_SLOTS', '10'))
    .action(async (o: LbCliOptions & { group?: string[] }) => {
      await action({ ...o, group: o.group ?? (process.env['AGORA_LB_GROUP']?.split(',') ?? []) });
    });
}
