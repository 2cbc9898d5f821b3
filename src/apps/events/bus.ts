/**
 * The in-process event bus behind `/v2/events` (spec §4.13): every event has `eventType` and `timestamp`;
 * listeners are called synchronously in publish order and must not throw (a throwing one is dropped).
 */
import type { Clock } from '../../core/clock.js';
import { timestamp } from '../model/app.js';

export interface MarathonEvent {
  readonly eventType: string;
  readonly timestamp: string;
  readonly [k: string]: unknown;
}

export type Listener = (e: MarathonEvent) => void;

export class EventBus {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly clock: Clock) {}

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get size(): number {
    return this.listeners.size;
  }

  publish(eventType: string, fields: Record<string, unknown> = {}): void {
    const e: MarathonEvent = { eventType, timestamp: timestamp(this.clock.now()), ...fields };
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        this.listeners.delete(l);
      }
    }
  }
}
