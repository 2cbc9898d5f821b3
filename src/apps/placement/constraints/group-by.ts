/**
 * GROUP_BY: spread evenly over `value` distinct values (0/absent = only the values already seen). A new group
 * is allowed while fewer than `value` groups are used; an existing group while its count is minimal, so that
 * instances fill the groups round-robin.
 */
import type { ConstraintCheck } from '../types.js';

export const groupBy: ConstraintCheck = ({ offerValue, value, placed }) => {
  if (offerValue === undefined) return false;
  const groups = value === undefined || value === '' ? 0 : Number(value);
  const counts = new Map<string, number>();
  for (const p of placed) if (p !== undefined) counts.set(p, (counts.get(p) ?? 0) + 1);
  const mine = counts.get(offerValue) ?? 0;
  if (mine === 0) return counts.size < groups || counts.size === 0 || groups === 0;
  const min = Math.min(...counts.values());
  // While unused groups may still appear, an existing group must not get ahead of an empty one.
  if (counts.size < groups) return false;
  return mine === min;
};
