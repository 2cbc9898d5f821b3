/** UNIQUE: no placed instance of the app has the offer's value (spec §4.9). */
import type { ConstraintCheck } from '../types.js';

export const unique: ConstraintCheck = ({ offerValue, placed }) => offerValue !== undefined && !placed.includes(offerValue);
