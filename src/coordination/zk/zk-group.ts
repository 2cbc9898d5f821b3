/**
 * Upstream's ZooKeeper group layout for master election (spec §6.10): each contender is an ephemeral
 * sequential child `json.info_<seq>` of the group path holding its MasterInfo as compact JSON with keys in
 * alphabetical order; the leader is the child with the lowest sequence among names of the form
 * `[label_]<digits>`; other children (our `store`, upstream's `log_replicas`) are ignored.
 */
import type { MasterInfoJson } from '../../api/mesos/common.js';

/** Label of the candidate nodes we create and prefer when reading. */
export const JSON_LABEL = 'json.info';

export interface Candidate {
  readonly name: string;
  readonly label: string | undefined;
  readonly seq: number;
}

/** Candidates among a group's children, lowest sequence first. */
export function candidates(children: readonly string[]): Candidate[] {
  const out: Candidate[] = [];
  for (const name of children) {
    const m = /^(?:(.+)_)?(\d+)$/.exec(name);
    if (m === null) continue;
    out.push({ name, label: m[1], seq: Number(m[2]) });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** Compact JSON with object keys sorted at every level (upstream's rendering of MasterInfo). */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  });
}

/**
 * MasterInfo from a candidate node's data: JSON for `json.info_` nodes, a libprocess pid `master@ip:port` for
 * unlabeled legacy nodes; undefined when unreadable (binary `info_` protobuf nodes are not decoded).
 */
export function parseMasterInfo(c: Candidate, data: Buffer): MasterInfoJson | undefined {
  const text = data.toString('utf8');
  if (c.label === JSON_LABEL) {
    try {
      const info = JSON.parse(text) as MasterInfoJson;
      return typeof info === 'object' && info !== null && typeof info.port === 'number' ? info : undefined;
    } catch {
      return undefined;
    }
  }
  const pid = /^([^@]+)@([^:]+):(\d+)$/.exec(text.trim());
  if (c.label !== undefined || pid === null) return undefined;
  const [, , ip = '', port = '0'] = pid;
  return { id: '', ip: 0, port: Number(port), pid: text.trim(), hostname: ip, address: { hostname: ip, ip, port: Number(port) } };
}

/** `host:port` to reach a master: MasterInfo.hostname, else address.ip, and MasterInfo.port. */
export function masterHostPort(info: MasterInfoJson): string {
  const host = info.hostname ?? info.address?.hostname ?? info.address?.ip ?? '';
  return `${host}:${info.address?.port ?? info.port}`;
}
