/** MAX_PER: fewer than `value` placed instances share the offer's value. */
import type { ConstraintCheck } from '../types.js';

export const maxPer: ConstraintCheck = ({ offerValue, value, placed }) =>
  offerValue !== undefined && placed.filter((p) => p === offerValue).length < Number(value ?? '0');
