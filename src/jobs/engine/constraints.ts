/**
 * Job placement constraints (spec §6.7 for Chronos `constraints`, §8.2 for `/v2` `run.placement`), applied to
 * each offer before a task is placed on it. A constraint is `[attribute, OPERATOR, value]`; every one must
 * hold. `hostname` is the agent's hostname unless the agent has an attribute of that name.
 *
 * - `EQUALS` (Chronos; `/v2` IS and EQ map to it): an attribute of that name has that value. Text compares
 *   as is; scalars compare in the 3-decimal form apps use (upstream Chronos never matches scalars here — a
 *   superset: a constraint that never held then now can).
 * - `LIKE`: the first attribute of that name fully matches the regex (text, scalar as a decimal string, set:
 *   any item; ranges never match).
 * - `UNLIKE`: the negation of LIKE, except that a missing attribute rejects the offer (upstream Chronos).
 *
 * The regex matching and scalar formatting are the apps placement ones (src/apps/placement), reused.
 */
import type { AttributeJson, OfferJson } from '../../api/mesos/common.js';
import { fullMatch } from '../../apps/placement/constraints/like.js';
import { formatScalar } from '../../apps/placement/fields.js';

export const JOB_CONSTRAINT_OPERATORS = ['EQUALS', 'LIKE', 'UNLIKE'] as const;
export type JobConstraintOperator = (typeof JOB_CONSTRAINT_OPERATORS)[number];

/**
 * The entries Chronos keeps: upstream's deserializer drops a constraint with an unknown operator silently
 * (spec §3.2), so job JSON written for another scheduler still loads; the rest is validated by constraintError.
 */
export function knownOperatorConstraints(constraints: readonly (readonly string[])[]): string[][] {
  return constraints.filter((c) => c.length !== 3 || (JOB_CONSTRAINT_OPERATORS as readonly string[]).includes(c[1] ?? '')).map((c) => [...c]);
}

/** Why a constraint list is invalid, or undefined when every entry is `[attribute, EQUALS|LIKE|UNLIKE, value]`. */
export function constraintError(constraints: readonly (readonly string[])[], field = 'constraints'): string | undefined {
  for (const [i, c] of constraints.entries()) {
    if (c.length !== 3) return `${field}[${i}] must be [attribute, operator, value], got ${c.length} item(s)`;
    const [attr, op, value] = c as [string, string, string];
    if (attr === '') return `${field}[${i}] needs an attribute name`;
    if (!(JOB_CONSTRAINT_OPERATORS as readonly string[]).includes(op)) return `${field}[${i}] has unknown operator '${op}' (EQUALS, LIKE or UNLIKE)`;
    if (op !== 'EQUALS') {
      try {
        new RegExp(value);
      } catch {
        return `${field}[${i}] has an invalid regular expression '${value}'`;
      }
    }
  }
  return undefined;
}

/** The values an attribute can be matched by: text, the scalar's decimal form, or each set item. */
function valuesOf(a: AttributeJson): string[] {
  if (a.text !== undefined) return [a.text.value];
  if (a.scalar !== undefined) return [formatScalar(a.scalar.value)];
  if (a.set !== undefined) return [...(a.set.item ?? [])];
  return [];
}

function attributes(offer: OfferJson, name: string): AttributeJson[] {
  const found = (offer.attributes ?? []).filter((a) => a.name === name);
  if (found.length === 0 && name === 'hostname') return [{ name, type: 'TEXT', text: { value: offer.hostname } }];
  return found;
}

/** True when the offer satisfies every constraint (an empty list always holds). */
export function offerMeets(constraints: readonly (readonly string[])[], offer: OfferJson): boolean {
  for (const [attr = '', op = '', value = ''] of constraints) {
    const attrs = attributes(offer, attr);
    if (op === 'EQUALS') {
      if (!attrs.some((a) => valuesOf(a).includes(value) || (a.scalar !== undefined && value !== '' && Number.isFinite(Number(value)) && formatScalar(Number(value)) === formatScalar(a.scalar.value)))) return false;
      continue;
    }
    const first = attrs[0];
    if (first === undefined) return false;
    const matches = valuesOf(first).some((v) => fullMatch(value, v));
    if (op === 'LIKE' ? !matches : op === 'UNLIKE' ? matches : true) return false;
  }
  return true;
}
