/** UNLIKE: the offer's value does not fully match the regex; an agent lacking the field is accepted. */
import type { ConstraintCheck } from '../types.js';
import { fullMatch } from './like.js';

export const unlike: ConstraintCheck = ({ offerValue, value }) => offerValue === undefined || !fullMatch(value ?? '', offerValue);
