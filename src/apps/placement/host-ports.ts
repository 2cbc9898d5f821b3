/**
 * Host ports from the offer's `ports` ranges (spec §4.10): with requirePorts the declared ports must be
 * offered; otherwise each port gets a free one picked at random (seeded Rng) from the remaining ranges.
 */
import type { Range } from '../../core/resources.js';
import type { Rng } from '../../core/rng.js';
import type { AppDefinition } from '../model/app.js';
import type { PlacementFilter } from './types.js';

function inRanges(ranges: readonly Range[], p: number): boolean {
  return ranges.some(([b, e]) => p >= b && p <= e);
}

/** Host ports for the app, one per port definition, or undefined when the ranges cannot supply them. */
export function pickHostPorts(app: AppDefinition, ranges: readonly Range[], rng: Rng): number[] | undefined {
  const n = app.portDefinitions.length;
  if (n === 0) return [];
  if (app.requirePorts) {
    const want = app.portDefinitions.map((p) => p.port);
    return want.every((p) => inRanges(ranges, p)) ? want : undefined;
  }
  const free: number[] = [];
  for (const [b, e] of ranges) for (let p = b; p <= e && free.length < 100_000; p++) free.push(p);
  if (free.length < n) return undefined;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng.next() * (free.length - i));
    const a = free[i] as number;
    const pick = free[j] as number;
    free[i] = pick;
    free[j] = a;
    out.push(pick);
  }
  return out;
}

/** Rejects offers whose port ranges cannot supply the app's host ports (no randomness: counts only). */
export const portsFilter: PlacementFilter = {
  name: 'ports',
  check: (req, slot) => {
    const ranges = slot.remaining.ranges('ports');
    const app = req.app;
    if (app.portDefinitions.length === 0) return undefined;
    if (app.requirePorts) return app.portDefinitions.every((p) => inRanges(ranges, p.port)) ? undefined : 'InsufficientPorts';
    const size = ranges.reduce((s, [b, e]) => s + (e - b + 1), 0);
    return size >= app.portDefinitions.length ? undefined : 'InsufficientPorts';
  },
};
