/**
 * Pure validation of FrameworkInfo on SUBSCRIBE and UPDATE_FRAMEWORK (spec §2.4). Returns the error
 * message upstream would put in the ERROR event (or the 400 body), or the framework's roles.
 */
import type { FrameworkInfoJson } from '../api/mesos/common.js';
import { hasCapability } from './statuses.js';

/** The roles a framework subscribes with, or why they are refused. */
export type RolesVerdict = { ok: true; roles: string[] } | { ok: false; message: string };

const BAD_CHARS = /[\t\n\v\f\r \u007f]/;

/** Validates one role name; undefined when valid. */
export function validateRole(role: string): string | undefined {
  if (role === '*') return undefined;
  if (role === '') return 'Role name cannot be empty';
  if (role.startsWith('/') || role.endsWith('/')) return `Role '${role}' cannot start or end with a slash`;
  if (role.includes('//')) return `Role '${role}' cannot contain two adjacent slashes`;
  for (const part of role.split('/')) {
    if (part === '.' || part === '..' || part === '*') return `Role '${role}' cannot contain '.', '..' or '*' as a path component`;
    if (part.startsWith('-')) return `Role '${role}' cannot have a path component starting with '-'`;
    if (BAD_CHARS.test(part)) return `Role '${role}' cannot contain whitespace or control characters`;
  }
  return undefined;
}

/** The framework's roles after the MULTI_ROLE rules, name rules and the optional --roles whitelist. */
export function frameworkRoles(info: FrameworkInfoJson, whitelist: readonly string[] | undefined): RolesVerdict {
  const multi = hasCapability(info, 'MULTI_ROLE');
  let roles: string[];
  if (multi) {
    if (info.role !== undefined) return { ok: false, message: "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable" };
    roles = [...(info.roles ?? [])];
    const seen = new Set<string>();
    for (const r of roles) {
      if (seen.has(r)) return { ok: false, message: `'FrameworkInfo.roles' contains duplicate items: ${r}` };
      seen.add(r);
    }
  } else {
    if ((info.roles ?? []).length > 0) {
      return { ok: false, message: "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable" };
    }
    roles = [info.role ?? '*'];
  }
  for (const r of roles) {
    const err = validateRole(r);
    if (err !== undefined) return { ok: false, message: err };
  }
  if (whitelist !== undefined) {
    const missing = roles.filter((r) => r !== '*' && !whitelist.includes(r));
    if (missing.length > 0) return { ok: false, message: `Roles { ${missing.join(', ')} } are not present in the master's --roles` };
  }
  return { ok: true, roles };
}

/** Validates the framework id, user and failover timeout; undefined when valid. */
export function validateFrameworkInfo(info: FrameworkInfoJson, rootSubmissions: boolean): string | undefined {
  const id = info.id?.value;
  if (id !== undefined) {
    if (id === '') return "'FrameworkInfo.id' must not be empty";
    if (id.length > 255 || id === '.' || id === '..' || /[/\\\u0000-\u001f]/.test(id)) return `'FrameworkInfo.id' is invalid: '${id}'`;
  }
  if (!rootSubmissions && info.user === 'root') return 'User root is not allowed to run frameworks without --root_submissions set';
  const ft = info.failover_timeout;
  if (ft !== undefined && (!Number.isFinite(ft) || ft < 0)) return `Invalid failover_timeout: ${ft}`;
  return undefined;
}

/** Suppressed roles must be a subset of the framework's roles. */
export function validateSuppressed(suppressed: readonly string[], roles: readonly string[]): string | undefined {
  const extra = suppressed.filter((r) => !roles.includes(r));
  if (extra.length > 0) return `Suppressed roles { ${extra.join(', ')} } are not contained in the set of roles`;
  return undefined;
}
