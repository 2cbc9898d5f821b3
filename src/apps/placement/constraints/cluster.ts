/** CLUSTER: the offer's value equals the given value, or (no value) the value of the first placed instance. */
import type { ConstraintCheck } from '../types.js';

export const cluster: ConstraintCheck = ({ offerValue, value, placed }) => {
  if (offerValue === undefined) return false;
  if (value !== undefined && value !== '') return offerValue === value;
  const first = placed.find((p) => p !== undefined);
  return first === undefined || first === offerValue;
};
