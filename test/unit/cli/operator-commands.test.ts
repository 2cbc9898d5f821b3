import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tasksCommand, listTasks, type ListOptions } from '../../../src/cli/tasks.js';
import { agentsCommand } from '../../../src/cli/agents.js';
import { frameworksCommand } from '../../../src/cli/frameworks.js';
import { logsCommand, type LogsOptions } from '../../../src/cli/logs.js';
import { eventsCommand, printEvents, type EventsOptions } from '../../../src/cli/events.js';
import { OperatorClient, agentUrlOf, masterBaseUrl, type OperatorCaller } from '../../../src/cli/operator-client.js';
import { CliError, describeFailure } from '../../../src/cli/apps-client.js';

function capture(): { out: string[]; err: string[]; o: { out: (l: string) => void; err: (l: string) => void; tty: boolean } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, o: { out: (l) => out.push(l), err: (l) => err.push(l), tty: false } };
}

describe('operator command arguments', () => {
  it('tasks, agents and frameworks take --master, --json and --all', async () => {
    const seen: ListOptions[] = [];
    const act = async (o: ListOptions): Promise<void> => void seen.push(o);
    await tasksCommand(act).parseAsync(['--master', 'http://m:1', '--json', '--all'], { from: 'user' });
    await agentsCommand(act).parseAsync(['--json'], { from: 'user' });
    await frameworksCommand(act).parseAsync([], { from: 'user' });
    expect(seen).toEqual([{ master: 'http://m:1', json: true, all: true }, { json: true }, {}]);
  });

  it('logs takes a task id, --follow/-f, --stderr and an --interval duration', async () => {
    const seen: [string, LogsOptions][] = [];
    const act = async (id: string, o: LogsOptions): Promise<void> => void seen.push([id, o]);
    await logsCommand(act).parseAsync(['t1', '-f', '--stderr', '--interval', '200ms'], { from: 'user' });
    await logsCommand(act).parseAsync(['t2'], { from: 'user' });
    expect(seen).toEqual([
      ['t1', { follow: true, stderr: true, interval: 200 }],
      ['t2', { interval: 500 }],
    ]);
    const cmd = logsCommand(act).exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(cmd.parseAsync([], { from: 'user' })).rejects.toThrow(/missing required argument/);
  });

  it('events collects --type and rejects unknown types before connecting', async () => {
    const seen: EventsOptions[] = [];
    const act = async (o: EventsOptions): Promise<void> => void seen.push(o);
    await eventsCommand(act).parseAsync(['--type', 'TASK_ADDED', '--type', 'TASK_UPDATED'], { from: 'user' });
    expect(seen).toEqual([{ type: ['TASK_ADDED', 'TASK_UPDATED'] }]);
    await expect(eventsCommand(act).parseAsync(['--type', 'BOGUS'], { from: 'user' })).rejects.toThrow(/unknown event type/);
    expect(seen).toHaveLength(1);
  });

  it('--master wins over AGORA_MASTER, which wins over the default', () => {
    expect(masterBaseUrl('10.0.0.1:5050/', {})).toBe('http://10.0.0.1:5050');
    expect(masterBaseUrl(undefined, { AGORA_MASTER: 'http://m:9' })).toBe('http://m:9');
    expect(masterBaseUrl(undefined, {})).toBe('http://127.0.0.1:5050');
    expect(agentUrlOf({ pid: 'slave(1)@10.1.2.3:5051' })).toBe('http://10.1.2.3:5051');
    expect(agentUrlOf({ agent_info: { hostname: 'h' } })).toBe('http://h:5051');
  });
});

describe('operator command failures', () => {
  it('an unreachable master is one clear line and exit code 1', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    const c = capture();
    const e = await listTasks(new OperatorClient(`http://127.0.0.1:${port}`), c.o, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CliError);
    const f = describeFailure(e);
    expect(f.code).toBe(1);
    expect(f.lines[0]).toMatch(new RegExp(`^error: cannot reach the master at http://127.0.0.1:${port} .*--master or AGORA_MASTER`));
    const ev = await printEvents(`http://127.0.0.1:${port}`, undefined, c.o).catch((x: unknown) => x);
    expect(describeFailure(ev)).toMatchObject({ code: 1 });
  });

  it('a non-200 answer names the call and status', async () => {
    const server = createServer((_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('Not the leader'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const e = await new OperatorClient(url).call('GET_TASKS').catch((x: unknown) => x);
      expect(describeFailure(e)).toEqual({ code: 1, lines: [`error: GET_TASKS on ${url}/api/v1 answered 503: Not the leader`] });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('tasks prints a table, or JSON with --json', async () => {
    const fake: OperatorCaller = {
      base: 'http://fake',
      call: async <T,>() => ({ get_tasks: { tasks: [{ task_id: { value: 't' }, framework_id: { value: 'f' }, agent_id: { value: 'a' }, state: 'TASK_RUNNING' }] } }) as T,
    };
    const c = capture();
    await listTasks(fake, c.o, {});
    expect(c.out).toEqual(['ID  FRAMEWORK  AGENT  STATE         HEALTHY', 't   f          a      TASK_RUNNING  -']);
    const j = capture();
    await listTasks(fake, j.o, { json: true });
    expect(JSON.parse(j.out.join('\n'))).toEqual([{ task_id: { value: 't' }, framework_id: { value: 'f' }, agent_id: { value: 'a' }, state: 'TASK_RUNNING' }]);
  });
});
