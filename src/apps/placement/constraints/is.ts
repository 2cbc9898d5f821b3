/** IS: the offer's value equals the given value (scalars compared in their 3-decimal string form). */
import type { ConstraintCheck } from '../types.js';
import { formatScalar } from '../fields.js';

export const is: ConstraintCheck = ({ offerValue, value }) => {
  if (offerValue === undefined || value === undefined) return false;
  if (offerValue === value) return true;
  const n = Number(value);
  return value !== '' && Number.isFinite(n) && formatScalar(n) === offerValue;
};
