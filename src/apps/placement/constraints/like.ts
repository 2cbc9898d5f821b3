/** LIKE: the offer's value fully matches the regular expression (Java `matches`). */
import type { ConstraintCheck } from '../types.js';

export function fullMatch(pattern: string, text: string): boolean {
  return new RegExp(`^(?:${pattern})$`).test(text);
}

export const like: ConstraintCheck = ({ offerValue, value }) => offerValue !== undefined && fullMatch(value ?? '', offerValue);
