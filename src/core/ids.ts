/** Branded identifiers: a FrameworkId can never be passed where an AgentId is expected. */
import { randomUUID } from 'node:crypto';

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type MasterId = Brand<string, 'MasterId'>;
export type AgentId = Brand<string, 'AgentId'>;
export type FrameworkId = Brand<string, 'FrameworkId'>;
export type TaskId = Brand<string, 'TaskId'>;
export type ExecutorId = Brand<string, 'ExecutorId'>;
export type OfferId = Brand<string, 'OfferId'>;
export type ContainerId = Brand<string, 'ContainerId'>;
export type StreamId = Brand<string, 'StreamId'>;

export const asAgentId = (s: string): AgentId => s as AgentId;
export const asFrameworkId = (s: string): FrameworkId => s as FrameworkId;
export const asTaskId = (s: string): TaskId => s as TaskId;
export const asExecutorId = (s: string): ExecutorId => s as ExecutorId;
export const asOfferId = (s: string): OfferId => s as OfferId;
export const asContainerId = (s: string): ContainerId => s as ContainerId;

export function newUuid(): string {
  return randomUUID();
}

/**
 * A random (v4) UUID's 16 bytes as standard base64: the wire form of TaskStatus.uuid. Built from
 * randomUUID, which draws from a cached entropy pool, because a sync randomBytes call per status update
 * shows up in launch profiles.
 */
export function newStatusUuid(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64');
}

export function pad4(n: number): string {
  return String(n).padStart(4, '0');
}

/**
 * Mints ids in upstream formats: framework `<masterId>-NNNN`, agent `<masterId>-S<n>`, offer `<masterId>-O<n>`.
 * Counters are owned by the master actor.
 */
export class MasterIdMinter {
  private frameworks = 0;
  private agents = 0;
  private offers = 0;
  constructor(readonly masterId: MasterId) {}
  framework(): FrameworkId {
    return `${this.masterId}-${pad4(this.frameworks++)}` as FrameworkId;
  }
  agent(): AgentId {
    return `${this.masterId}-S${this.agents++}` as AgentId;
  }
  offer(): OfferId {
    return `${this.masterId}-O${this.offers++}` as OfferId;
  }
}
