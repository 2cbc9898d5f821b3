/**
 * The master's agents by id, with an index by `ip:port` kept in step with every set/delete. A new agent
 * id is checked against the agents at its address (a rebooted host re-registering with a new id); that
 * check scanned every agent, which made a registration storm of n new agents O(n²) — 10k agents paused
 * the leader for seconds, past half its ZooKeeper session (ADR 0041).
 */
import type { AgentId } from '../core/ids.js';
import type { AgentRec } from './types.js';

const addressOf = (a: AgentRec): string => `${a.ip}:${a.port}`;

/** A Map of agents by id that also answers "which agents have this ip:port" in O(1). */
export class AgentMap extends Map<AgentId, AgentRec> {
  private byAddress: Map<string, Set<AgentId>> | undefined;

  override set(id: AgentId, rec: AgentRec): this {
    const old = super.get(id);
    // Map's constructor calls set() before field initialisers ran; the index starts empty then.
    this.byAddress ??= new Map();
    if (old !== undefined) this.unindex(id, old);
    super.set(id, rec);
    const k = addressOf(rec);
    const ids = this.byAddress.get(k);
    if (ids === undefined) this.byAddress.set(k, new Set([id]));
    else ids.add(id);
    return this;
  }

  override delete(id: AgentId): boolean {
    const old = super.get(id);
    if (old !== undefined) this.unindex(id, old);
    return super.delete(id);
  }

  override clear(): void {
    this.byAddress?.clear();
    super.clear();
  }

  /** The agents whose recorded address is ip:port (a snapshot: safe to change the map while iterating). */
  atAddress(ip: string, port: number): AgentRec[] {
    const ids = this.byAddress?.get(`${ip}:${port}`);
    if (ids === undefined) return [];
    return [...ids].flatMap((id) => {
      const rec = super.get(id);
      return rec === undefined ? [] : [rec];
    });
  }

  private unindex(id: AgentId, rec: AgentRec): void {
    const k = addressOf(rec);
    const ids = this.byAddress?.get(k);
    ids?.delete(id);
    if (ids?.size === 0) this.byAddress?.delete(k);
  }
}
