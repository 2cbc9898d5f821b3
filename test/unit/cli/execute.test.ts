import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { executeCommand, specFromOptions, type ExecuteOptions } from '../../../src/cli/execute.js';
import { commandInfoFor, exitCodeFor, frameworkInfoFor, parseEnvFlag, statusLines } from '../../../src/cli/execute-task.js';

async function parse(args: string[]): Promise<ExecuteOptions> {
  let out: ExecuteOptions | undefined;
  const cmd = executeCommand(async (o) => {
    out = o;
  })
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  await cmd.parseAsync(args, { from: 'user' });
  if (out === undefined) throw new Error('action did not run');
  return out;
}

describe('agora execute options', () => {
  it('has mesos-execute defaults', async () => {
    const o = await parse(['--master', '127.0.0.1:5050', '--command', 'echo hi']);
    expect(o).toMatchObject({ shell: true, resources: 'cpus:1;mem:128', framework_name: 'agora-execute instance', role: '*', checkpoint: false, partition_aware: true });
    expect(o.kill_after).toBeUndefined();
    const spec = specFromOptions(o, 'alice', '0123abcd-ffff');
    expect(spec.name).toBe('agora-execute-0123abcd');
    expect(frameworkInfoFor(spec)).toEqual({
      user: 'alice',
      name: 'agora-execute instance',
      role: '*',
      checkpoint: false,
      capabilities: [{ type: 'RESERVATION_REFINEMENT' }, { type: 'TASK_KILLING_STATE' }, { type: 'REVOCABLE_RESOURCES' }, { type: 'PARTITION_AWARE' }],
    });
  });

  it('parses every flag', async () => {
    const o = await parse([
      '--master=m:5050', '--name', 'hello', '--command', 'env', '--shell=false', '--env', '{"A":"1","B":2}',
      '--resources', 'cpus:0.5;mem:64', '--role', 'dev', '--checkpoint', '--partition_aware=false', '--kill_after', '10secs',
    ]);
    expect(o).toMatchObject({ master: 'm:5050', name: 'hello', shell: false, env: { A: '1', B: '2' }, role: 'dev', checkpoint: true, partition_aware: false, kill_after: 10_000 });
    const spec = specFromOptions(o, 'bob');
    expect(frameworkInfoFor(spec).capabilities).not.toContainEqual({ type: 'PARTITION_AWARE' });
    expect(commandInfoFor(spec)).toEqual({
      shell: false,
      value: 'env',
      arguments: ['env'],
      environment: { variables: [{ name: 'A', type: 'VALUE', value: '1' }, { name: 'B', type: 'VALUE', value: '2' }] },
    });
  });

  it('requires --master and --command and rejects unknown flags', async () => {
    await expect(parse(['--command', 'x'])).rejects.toBeInstanceOf(CommanderError);
    await expect(parse(['--master', 'm:1'])).rejects.toBeInstanceOf(CommanderError);
    await expect(parse(['--master', 'm:1', '--command', 'x', '--docker_image', 'y'])).rejects.toBeInstanceOf(CommanderError);
    expect(() => parseEnvFlag('[1]')).toThrow(/JSON object/);
    expect(() => parseEnvFlag('{nope')).toThrow(/JSON/);
  });
});

describe('exit code of a terminal update', () => {
  it.each([
    ['TASK_FINISHED', 'Command exited with status 0', 0],
    ['TASK_FAILED', 'Command exited with status 3', 3],
    ['TASK_FAILED', 'Command terminated with signal Killed', 1],
    ['TASK_FAILED', undefined, 1],
    ['TASK_KILLED', 'Command terminated with signal Terminated', 1],
    ['TASK_LOST', 'Agent disconnected', 1],
    ['TASK_ERROR', 'Task uses invalid resources', 1],
    ['TASK_DROPPED', undefined, 1],
    ['TASK_GONE', undefined, 1],
  ] as const)('%s (%s) exits %i', (state, message, code) => {
    expect(exitCodeFor(state, message)).toBe(code);
  });

  it('is undefined while the task is not terminal', () => {
    for (const s of ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_UNREACHABLE', 'TASK_UNKNOWN'] as const) {
      expect(exitCodeFor(s)).toBeUndefined();
    }
  });
});

describe('status lines', () => {
  it('match mesos-execute', () => {
    expect(
      statusLines({
        task_id: { value: 'hello' },
        state: 'TASK_FAILED',
        message: 'Command exited with status 3',
        source: 'SOURCE_EXECUTOR',
        reason: 'REASON_COMMAND_EXECUTOR_FAILED',
      }),
    ).toEqual([
      "Received status update TASK_FAILED for task 'hello'",
      "  message: 'Command exited with status 3'",
      '  source: SOURCE_EXECUTOR',
      '  reason: REASON_COMMAND_EXECUTOR_FAILED',
    ]);
  });
});
