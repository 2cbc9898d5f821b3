/**
 * Mesos-DNS records (spec service-discovery §8) from the master's `/master/state`: for every TASK_RUNNING task,
 * A records `T.F.D`, `T-<hash>-<slave>.F.D` (and the `.slave.D` forms) to its agent's IP, SRV records
 * `_T._tcp|_udp.F.D` and `.F.slave.D` to `T-<hash>-<slave>.F.slave.D:<host port>` for each host port (tasks
 * without DiscoveryInfo, as Agora's apps launch them); `leader.D`, `master.D`, `slave.D` A records and
 * `_leader._tcp.D` SRV. Labels are mangled per RFC 1123 (§8.1). Pure; names lowercase, no trailing dot.
 */
import { createHash } from 'node:crypto';

export interface SrvTarget {
  readonly target: string;
  readonly port: number;
}

export interface DnsRecords {
  readonly domain: string;
  readonly a: ReadonlyMap<string, readonly string[]>;
  readonly srv: ReadonlyMap<string, readonly SrvTarget[]>;
}

/** RFC 1123 label: lowercase, `.`/`_` → `-`, other characters dropped, `-` trimmed at both ends, ≤ 63 chars. */
export function mangleLabel(s: string): string {
  const out = s
    .toLowerCase()
    .replace(/[._]/g, '-')
    .replace(/[^a-z0-9-]/g, '')
    .slice(0, 63);
  return out.replace(/^-+/, '').replace(/-+$/, '');
}

const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** First 5 characters of zbase32(SHA1(taskId)): the canonical-name hash of Mesos-DNS. */
export function taskHash(taskId: string): string {
  const bytes = createHash('sha1').update(taskId).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 5) {
      out += ZBASE32[(value >>> (bits - 5)) & 31] ?? '';
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length === 5) break;
  }
  return out;
}

/** `[31000-31001, 31005-31005]` → [31000, 31001, 31005]. */
export function parsePortRanges(text: unknown): number[] {
  if (typeof text !== 'string') return [];
  const out: number[] = [];
  for (const m of text.matchAll(/(\d+)-(\d+)/g)) {
    const [lo, hi] = [Number(m[1]), Number(m[2])];
    for (let p = lo; p <= hi && out.length < 1000; p++) out.push(p);
  }
  return out;
}

/** The value when it is a string, else ''. */
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

interface StateJson {
  leader?: unknown;
  leader_info?: { hostname?: unknown; port?: unknown };
  frameworks?: unknown;
  slaves?: unknown;
}

/** Builds the records; `ipOf` turns an agent/master host name into an IP (undefined = skip). */
export function buildRecords(state: unknown, domainText: string, ipOf: (host: string) => string | undefined): DnsRecords {
  const domain = domainText.toLowerCase().replace(/\.$/, '');
  const a = new Map<string, Set<string>>();
  const srv = new Map<string, Map<string, SrvTarget>>();
  const addA = (name: string, ip: string | undefined): void => {
    if (ip === undefined) return;
    const set = a.get(name) ?? new Set<string>();
    set.add(ip);
    a.set(name, set);
  };
  const addSrv = (name: string, t: SrvTarget): void => {
    const m = srv.get(name) ?? new Map<string, SrvTarget>();
    m.set(`${t.target}:${t.port}`, t);
    srv.set(name, m);
  };
  const s = (typeof state === 'object' && state !== null ? state : {}) as StateJson;
  const agents = new Map<string, string>();
  for (const sl of Array.isArray(s.slaves) ? (s.slaves as Record<string, unknown>[]) : []) {
    if (typeof sl['id'] === 'string' && typeof sl['hostname'] === 'string') {
      agents.set(sl['id'], sl['hostname']);
      addA(`slave.${domain}`, ipOf(sl['hostname']));
    }
  }
  const leaderHost = typeof s.leader_info?.hostname === 'string' ? s.leader_info.hostname : /@([^:]+):/.exec(str(s.leader))?.[1];
  const leaderPort = typeof s.leader_info?.port === 'number' ? s.leader_info.port : Number(/:(\d+)$/.exec(str(s.leader))?.[1] ?? 0);
  if (leaderHost !== undefined) {
    addA(`leader.${domain}`, ipOf(leaderHost));
    addA(`master.${domain}`, ipOf(leaderHost));
    addA(`master0.${domain}`, ipOf(leaderHost));
    if (leaderPort > 0) for (const proto of ['tcp', 'udp']) addSrv(`_leader._${proto}.${domain}`, { target: `leader.${domain}`, port: leaderPort });
  }
  for (const fw of Array.isArray(s.frameworks) ? (s.frameworks as Record<string, unknown>[]) : []) {
    const f = str(fw['name']).split('.').map(mangleLabel).filter((x) => x !== '').join('.');
    if (f === '') continue;
    for (const t of Array.isArray(fw['tasks']) ? (fw['tasks'] as Record<string, unknown>[]) : []) {
      if (t['state'] !== 'TASK_RUNNING') continue;
      const discovery = t['discovery'] as { name?: unknown } | undefined;
      const label = mangleLabel(str(discovery?.name) || str(t['name']));
      const host = agents.get(str(t['slave_id']));
      if (label === '' || host === undefined) continue;
      const ip = ipOf(host);
      const slave = str(t['slave_id']).split('-').pop()?.toLowerCase() ?? '';
      const canonical = `${label}-${taskHash(str(t['id']))}-${slave}`;
      for (const n of [`${label}.${f}.${domain}`, `${canonical}.${f}.${domain}`, `${label}.${f}.slave.${domain}`, `${canonical}.${f}.slave.${domain}`]) addA(n, ip);
      const ports = parsePortRanges((t['resources'] as Record<string, unknown> | undefined)?.['ports']);
      for (const port of ports) {
        const target = { target: `${canonical}.${f}.slave.${domain}`, port };
        for (const proto of ['tcp', 'udp']) {
          addSrv(`_${label}._${proto}.${f}.slave.${domain}`, target);
          if (discovery === undefined) addSrv(`_${label}._${proto}.${f}.${domain}`, target);
        }
      }
    }
  }
  const sortedA = new Map([...a].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => [k, [...v].sort()]));
  const sortedSrv = new Map([...srv].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => [k, [...v.values()].sort((p, q) => (p.target < q.target ? -1 : p.target > q.target ? 1 : p.port - q.port))]));
  return { domain, a: sortedA, srv: sortedSrv };
}
