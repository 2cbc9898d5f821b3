/** Seeded randomness: shuffles and tie-breaks take an Rng so that a run can be replayed from its seed. */
import { randomBytes } from 'node:crypto';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** An independent stream derived from this one and a label. */
  fork(label: string): Rng;
  readonly seed: number;
}

function hashLabel(label: string): number {
  let h = 2166136261;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** mulberry32: small, fast and good enough for scheduling decisions (not for secrets). */
export class SeededRng implements Rng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  fork(label: string): Rng {
    return new SeededRng((this.seed ^ hashLabel(label)) >>> 0);
  }
}

/** A seed from the OS, for production start-up; log it so runs can be replayed. */
export function randomSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
