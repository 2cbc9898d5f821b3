/**
 * `agora dns`: a Mesos-DNS-like authoritative server over UDP. Polls the master's `/master/state` every
 * `refreshMs` (a failed poll keeps the last records), answers A/SRV queries for the domain (answer.ts) and
 * never forwards other names (REFUSED). Malformed packets are dropped.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { decode, encode } from 'dns-packet';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { answerQuery } from './answer.js';
import { buildRecords, type DnsRecords } from './records.js';

export interface DnsOptions {
  /** Master URL (`http://host:port`). */
  readonly masterUrl: string;
  readonly domain: string;
  readonly ip: string;
  /** UDP port (0 = ephemeral). */
  readonly port: number;
  readonly ttl: number;
  readonly refreshMs: number;
}

export interface RunningDns {
  readonly url: string;
  readonly port: number;
  records(): DnsRecords;
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDns(o: DnsOptions, deps: { clock: Clock; logger: Logger }): Promise<RunningDns> {
  const { clock, logger } = deps;
  const ips = new Map<string, string>();
  let records: DnsRecords = buildRecords({}, o.domain, () => undefined);
  const resolve = async (host: string): Promise<void> => {
    if (ips.has(host)) return;
    if (isIP(host) !== 0) ips.set(host, host);
    else {
      try {
        ips.set(host, (await lookup(host, { family: 4 })).address);
      } catch (e: unknown) {
        logger.warn({ host, err: errorMessage(e) }, 'cannot resolve host');
      }
    }
  };
  const refresh = async (): Promise<void> => {
    try {
      const res = await fetch(`${o.masterUrl}/master/state`, { signal: AbortSignal.timeout(10_000) });
      if (res.status !== 200) throw new Error(`GET /master/state answered ${res.status}`);
      const state = (await res.json()) as { slaves?: { hostname?: unknown }[]; leader_info?: { hostname?: unknown } };
      for (const h of [...(state.slaves ?? []).map((s) => s.hostname), state.leader_info?.hostname]) if (typeof h === 'string') await resolve(h);
      records = buildRecords(state, o.domain, (h) => ips.get(h));
    } catch (e: unknown) {
      logger.warn({ err: errorMessage(e) }, 'master state poll failed; keeping the last records');
    }
  };
  await refresh();
  let polling = false;
  const timer: Timer = clock.every(o.refreshMs, () => {
    if (polling) return;
    polling = true;
    void refresh().finally(() => {
      polling = false;
    });
  });
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    let reply: Buffer;
    try {
      reply = encode(answerQuery(decode(msg), records, o.ttl));
    } catch {
      return;
    }
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((res, rej) => {
    socket.once('error', rej);
    socket.bind(o.port, o.ip, () => {
      socket.off('error', rej);
      res();
    });
  });
  const port = socket.address().port;
  logger.info({ domain: o.domain, port, master: o.masterUrl }, `agora dns serving ${o.domain} on udp ${o.ip}:${port}`);
  return {
    url: `udp://${o.ip}:${port}`,
    port,
    records: () => records,
    refresh,
    async stop() {
      timer.cancel();
      await new Promise<void>((res) => socket.close(() => res()));
    },
  };
}
