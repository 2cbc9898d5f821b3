/**
 * Marathon path ids (spec §1.1): canonicalisation against a base, the segment rule, and the derived
 * "safe" (`/a/b` → `a_b`) and hostname (`/a/b` → `b.a`) forms. Pure functions.
 */

/** Upstream's segment regex, verbatim (its text is part of the 422 message). */
export const SEGMENT_PATTERN = '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$';
const SEGMENT = /^(?:(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])|\.|\.\.)$/;
const RESERVED_LAST = new Set(['restart', 'tasks', 'versions', '.', '..']);

/** Canonical absolute id: relative ids resolve against `base`, empty segments dropped, `.`/`..` resolved. */
export function canonicalId(raw: string, base = '/'): string {
  const start = raw.startsWith('/') ? [] : base.split('/').filter((s) => s !== '');
  const out = [...start];
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/** Validation errors of a raw app id (empty list = valid). */
export function appIdErrors(raw: string): string[] {
  const segs = raw.split('/').filter((s) => s !== '');
  const errors: string[] = [];
  if (segs.some((s) => !SEGMENT.test(s))) errors.push(`must fully match regular expression '${SEGMENT_PATTERN}'`);
  const canonical = canonicalId(raw);
  if (canonical === '/') errors.push('Path must contain at least one path element');
  const last = raw.split('/').filter((s) => s !== '').at(-1);
  if (last !== undefined && RESERVED_LAST.has(last) && errors.length === 0) errors.push(`must not end with ${last}`);
  return errors;
}

/** `/prod/web` → `prod_web` (task ids, store keys). */
export function safeId(id: string): string {
  return id.split('/').filter((s) => s !== '').join('_');
}

/** `/prod/web` → `web.prod` (Mesos task name). */
export function hostnameForm(id: string): string {
  return id.split('/').filter((s) => s !== '').reverse().join('.');
}
