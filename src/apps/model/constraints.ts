/** Constraint validation (spec §4.9): operators, arity and per-operator value rules. Pure. */
import type { Constraint } from './app.js';

export const OPERATORS = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER', 'IS'] as const;
export type Operator = (typeof OPERATORS)[number];

const OPERATOR_MESSAGE = 'operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, UNLIKE or IS';

function isRegex(v: string): boolean {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
}

/** The validation errors of one constraint as given (operator in any case). */
export function constraintErrors(c: readonly string[]): string[] {
  if (c.length < 2 || c.length > 3) return ['Each constraint must have either 2 or 3 fields'];
  const [field, rawOp, value] = c as [string, string, string | undefined];
  if (field === '') return ['missing field for constraint declaration'];
  const op = rawOp.toUpperCase();
  if (!(OPERATORS as readonly string[]).includes(op)) return [OPERATOR_MESSAGE];
  switch (op as Operator) {
    case 'UNIQUE':
      return value === undefined ? [] : ['UNIQUE does not accept a value'];
    case 'CLUSTER':
      return [];
    case 'GROUP_BY':
      return value === undefined || /^\d+$/.test(value) ? [] : ['GROUP BY must define an integer value or else no value at all'];
    case 'LIKE':
    case 'UNLIKE':
      if (value === undefined) return [`${op} requires a regular expression value`];
      return isRegex(value) ? [] : [`'${value}' is not a valid regular expression`];
    case 'MAX_PER':
      return value !== undefined && /^\d+$/.test(value) ? [] : ['MAX_PER requires an integer value'];
    case 'IS':
      return value !== undefined && /^[a-zA-Z0-9_/.-]*$/.test(value) ? [] : ['IS requires a value matching ^[a-zA-Z0-9_/.-]*$'];
  }
}

/** Stored form: operator upper-cased. Call only on a valid constraint. */
export function normalizeConstraint(c: readonly string[]): Constraint {
  const field = c[0] ?? '';
  const op = (c[1] ?? '').toUpperCase();
  return c[2] === undefined ? [field, op] : [field, op, c[2]];
}
