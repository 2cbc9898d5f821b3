/**
 * Turns a daemon's FlagSpec table into commander options, Mesos style: `--work_dir <value>` (underscore
 * names, `--name=value` also works), booleans as `--flag`, `--flag=false` or `--no-flag`. Values given on the
 * command line win over `AGORA_<NAME>` environment variables, which win over defaults (resolveFlags).
 */
import type { Command } from 'commander';
import { resolveFlags, type FlagSpec, type FlagValues } from '../core/flags.js';

/** Declares one option per flag on cmd. Defaults are not given to commander, so the env fallback can apply. */
export function addFlagOptions(cmd: Command, specs: readonly FlagSpec[]): Command {
  for (const spec of specs) {
    const help = `${spec.help}${spec.default !== undefined ? ` (default: ${spec.default})` : ''} [env ${envHint(spec.name)}]`;
    if (spec.type === 'bool') {
      cmd.option(`--${spec.name} [value]`, help);
      cmd.option(`--no-${spec.name}`, `same as --${spec.name}=false`);
    } else {
      cmd.option(`--${spec.name} <value>`, help);
    }
  }
  return cmd;
}

/** The flags given on the command line, as text (what resolveFlags expects). */
export function explicitFlags(opts: Readonly<Record<string, unknown>>, specs: readonly FlagSpec[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const v = opts[spec.name];
    if (v === undefined) continue;
    out[spec.name] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** Command line, then environment, then defaults; throws INVALID_REQUEST on a bad value. */
export function resolveCommandFlags(opts: Readonly<Record<string, unknown>>, specs: readonly FlagSpec[], env: NodeJS.ProcessEnv = process.env): FlagValues {
  return resolveFlags(specs, explicitFlags(opts, specs), env);
}

function envHint(name: string): string {
  return `AGORA_${name.toUpperCase()}`;
}
