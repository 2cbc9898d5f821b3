import { describe, expect, it } from 'vitest';
import { Command, CommanderError } from 'commander';
import type { FlagSpec, FlagValues } from '../../../src/core/flags.js';
import { addFlagOptions, resolveCommandFlags } from '../../../src/cli/daemon-flags.js';

const SPECS: readonly FlagSpec[] = [
  { name: 'port', type: 'int', help: 'port', default: '5050' },
  { name: 'work_dir', type: 'string', help: 'state' },
  { name: 'allocation_interval', type: 'duration', help: 'batch', default: '1secs' },
  { name: 'checkpoint', type: 'bool', help: 'bool', default: 'false' },
];

async function parse(args: string[], env: NodeJS.ProcessEnv = {}): Promise<FlagValues> {
  let out: FlagValues | undefined;
  const cmd = addFlagOptions(new Command('master'), SPECS)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .action((opts: Record<string, unknown>) => {
      out = resolveCommandFlags(opts, SPECS, env);
    });
  await cmd.parseAsync(args, { from: 'user' });
  if (out === undefined) throw new Error('action did not run');
  return out;
}

describe('daemon flags on the command line', () => {
  it('takes underscore names in both --name value and --name=value forms', async () => {
    const v = await parse(['--port', '6060', '--work_dir=/tmp/x', '--allocation_interval', '250ms']);
    expect(v).toMatchObject({ port: 6060, work_dir: '/tmp/x', allocation_interval: 250, checkpoint: false });
  });

  it('falls back to AGORA_<NAME> and then to the default', async () => {
    const env = { AGORA_WORK_DIR: '/var/agora', AGORA_PORT: '7070' };
    expect(await parse([], env)).toMatchObject({ port: 7070, work_dir: '/var/agora', allocation_interval: 1000 });
    expect(await parse(['--port', '1'], env)).toMatchObject({ port: 1, work_dir: '/var/agora' });
  });

  it('reads booleans as --flag, --flag=false and --no-flag', async () => {
    expect((await parse(['--checkpoint']))['checkpoint']).toBe(true);
    expect((await parse(['--checkpoint=false']))['checkpoint']).toBe(false);
    expect((await parse(['--no-checkpoint'], { AGORA_CHECKPOINT: 'true' }))['checkpoint']).toBe(false);
  });

  it('rejects unknown flags and bad values', async () => {
    const err = await parse(['--bogus', '1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as CommanderError).code).toBe('commander.unknownOption');
    await expect(parse(['--port', 'abc'])).rejects.toThrow(/expects an integer/);
    await expect(parse([], { AGORA_ALLOCATION_INTERVAL: 'soon' })).rejects.toThrow(/duration/);
  });
});
