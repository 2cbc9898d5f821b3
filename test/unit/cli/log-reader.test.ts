import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { candidatePaths, readTaskLog } from '../../../src/cli/log-reader.js';
import { OperatorCallError, type OperatorCaller } from '../../../src/cli/operator-client.js';
import { describeFailure } from '../../../src/cli/apps-client.js';

/** A master and an agent in memory: the task's state and its stdout can be changed by the test. */
class World {
  state = 'TASK_RUNNING';
  file = Buffer.alloc(0);
  readonly paths = new Set(['/frameworks/F/executors/t1/runs/latest/stdout']);
  reads = 0;
  readonly master: OperatorCaller = {
    base: 'http://master',
    call: async <T,>(type: string): Promise<T> => {
      if (type === 'GET_TASKS') return { get_tasks: { tasks: [{ task_id: { value: 't1' }, framework_id: { value: 'F' }, agent_id: { value: 'A' }, state: this.state }] } } as T;
      if (type === 'GET_AGENTS') return { get_agents: { agents: [{ agent_info: { id: { value: 'A' } }, pid: 'slave(1)@127.0.0.1:5051' }] } } as T;
      throw new Error(type);
    },
  };
  agentUrl = '';
  executorId: string | undefined;
  readonly agent = (url: string): OperatorCaller => {
    this.agentUrl = url;
    return {
      base: url,
      call: async <T,>(type: string, fields?: Record<string, unknown>): Promise<T> => {
        if (type === 'GET_TASKS' && this.executorId !== undefined) return { get_tasks: { launched_tasks: [{ task_id: { value: 't1' }, framework_id: { value: 'F' }, executor_id: { value: this.executorId } }] } } as T;
        const rf = fields?.['read_file'] as { path: string; offset: number };
        if (type !== 'READ_FILE' || !this.paths.has(rf.path)) throw new OperatorCallError(url, type, 404, 'No such file or directory.');
        this.reads++;
        return { read_file: { size: this.file.length, data: this.file.subarray(rf.offset, rf.offset + 4).toString('base64') } } as T;
      },
    };
  };
}

describe('agora logs', () => {
  it('prints the whole file in capped chunks without --follow', async () => {
    const w = new World();
    w.file = Buffer.from('hello world\n');
    const out: string[] = [];
    await readTaskLog({ taskId: 't1', file: 'stdout', follow: false }, { master: w.master, clock: new FakeClock(), write: (b) => out.push(b.toString()), agentClient: w.agent });
    expect(out.join('')).toBe('hello world\n');
    expect(out.length).toBe(3);
    expect(w.agentUrl).toBe('http://127.0.0.1:5051');
  });

  it('--follow prints new bytes as they are written and stops once the task is terminal and drained', async () => {
    const w = new World();
    const clock = new FakeClock();
    const out: string[] = [];
    let done = false;
    const run = readTaskLog({ taskId: 't1', file: 'stdout', follow: true }, { master: w.master, clock, write: (b) => out.push(b.toString()), agentClient: w.agent, intervalMs: 200 }).then(() => {
      done = true;
    });
    await clock.settle();
    expect(out.join('')).toBe('');
    w.file = Buffer.from('a\n');
    await clock.advance(200);
    expect(out.join('')).toBe('a\n');
    w.file = Buffer.from('a\nb\n');
    await clock.advance(200);
    expect(out.join('')).toBe('a\nb\n');
    expect(done).toBe(false);
    // The last line is written, then the task ends: it is still printed before the reader returns.
    w.file = Buffer.from('a\nb\nlast\n');
    w.state = 'TASK_FINISHED';
    await clock.advance(200);
    await run;
    expect(out.join('')).toBe('a\nb\nlast\n');
    expect(clock.pending()).toBe(0);
  });

  it('an unknown task id fails with exit code 1', async () => {
    const w = new World();
    const e = await readTaskLog({ taskId: 'nope', file: 'stdout', follow: false }, { master: w.master, clock: new FakeClock(), write: () => undefined, agentClient: w.agent }).catch((x: unknown) => x);
    expect(describeFailure(e)).toEqual({ code: 1, lines: ["error: unknown task 'nope': the master at http://master does not know it"] });
  });

  it('a missing file fails naming the paths tried', async () => {
    const w = new World();
    const e = await readTaskLog({ taskId: 't1', file: 'stderr', follow: false }, { master: w.master, clock: new FakeClock(), write: () => undefined, agentClient: w.agent }).catch((x: unknown) => x);
    expect(describeFailure(e).lines[0]).toMatch(/^error: no stderr for task 't1' on http:\/\/127.0.0.1:5051 \(tried \/frameworks\/F\/executors\/t1\/runs\/latest\/stderr\)/);
  });

  it("asks the agent for a task's executor id when the master does not know it (task groups)", async () => {
    const w = new World();
    w.executorId = 'E';
    w.paths.clear();
    w.paths.add('/frameworks/F/executors/E/runs/latest/tasks/t1/stdout');
    w.file = Buffer.from('grouped\n');
    const out: string[] = [];
    await readTaskLog({ taskId: 't1', file: 'stdout', follow: false }, { master: w.master, clock: new FakeClock(), write: (b) => out.push(b.toString()), agentClient: w.agent });
    expect(out.join('')).toBe('grouped\n');
  });

  it('tries the task-group layout first for tasks under another executor', () => {
    expect(candidatePaths({ task_id: { value: 't' }, framework_id: { value: 'F' }, executor_id: { value: 'E' } }, 'stdout')).toEqual([
      '/frameworks/F/executors/E/runs/latest/tasks/t/stdout',
      '/frameworks/F/executors/E/runs/latest/stdout',
      '/frameworks/F/executors/t/runs/latest/stdout',
    ]);
  });
});
