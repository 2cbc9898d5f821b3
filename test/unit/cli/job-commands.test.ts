import { afterEach, describe, expect, it } from 'vitest';
import { AppsApiError, AppsClient, CliError, EXIT, type ApiAnswer, type Output } from '../../../src/cli/apps-client.js';
import { jobActions, jobEndpoint, jobSegment, jobsBaseUrl } from '../../../src/cli/job.js';
import { jobListLines, runLines } from '../../../src/cli/jobs-format.js';

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

class FakeClient extends AppsClient {
  readonly calls: Call[] = [];
  constructor(private readonly answer: (c: Call) => { status?: number; body: unknown }) {
    super('http://fake');
  }
  override async call<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const c: Call = body === undefined ? { method, path } : { method, path, body };
    this.calls.push(c);
    const a = this.answer(c);
    const status = a.status ?? 200;
    if (status >= 300) throw new AppsApiError(method, path, status, a.body);
    return { status, body: a.body as T, headers: {} };
  }
}

function collector(): Output & { lines: string[] } {
  const lines: string[] = [];
  return { lines, tty: false, out: (l) => lines.push(l), err: () => undefined };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('agora job', () => {
  it('resolves the API address and refuses names Chronos cannot hold', () => {
    expect(jobsBaseUrl(undefined, {})).toBe('http://127.0.0.1:4400');
    expect(jobsBaseUrl(undefined, { AGORA_JOBS: 'h:1/' })).toBe('http://h:1');
    expect(jobsBaseUrl('https://x:2', { AGORA_JOBS: 'h:1' })).toBe('https://x:2');
    expect(jobSegment(' nightly.backup-1 ')).toBe('nightly.backup-1');
    expect(() => jobSegment('a/b')).toThrow(CliError);
  });

  it('sends jobs with parents to /dependency and others to /iso8601', () => {
    expect(jobEndpoint({ name: 'a', parents: ['b'] })).toBe('/v1/scheduler/dependency');
    expect(jobEndpoint({ name: 'a', parents: [] })).toBe('/v1/scheduler/iso8601');
    expect(jobEndpoint({ name: 'a', schedule: 'R/2030-01-01T00:00:00Z/PT1H' })).toBe('/v1/scheduler/iso8601');
  });

  it('runs, kills and removes through the Chronos endpoints', async () => {
    const client = new FakeClient(() => ({ status: 204, body: '' }));
    const o = collector();
    await jobActions.run(client, o, 'etl', 'a b');
    await jobActions.kill(client, o, 'etl');
    await jobActions.remove(client, o, 'etl', 'reparent');
    expect(client.calls).toEqual([
      { method: 'PUT', path: '/v1/scheduler/job/etl?arguments=a%20b' },
      { method: 'DELETE', path: '/v1/scheduler/task/kill/etl' },
      { method: 'DELETE', path: '/v1/scheduler/job/etl?cascade=reparent' },
    ]);
    await expect(jobActions.remove(client, o, 'etl', 'all')).rejects.toMatchObject({ exitCode: EXIT.usage });
  });

  it('says whether add created or replaced a job', async () => {
    const client = new FakeClient((c) => (c.method === 'GET' ? { body: { jobs: [{ name: 'etl', status: 'fresh', state: 'idle', schedule: 'R/x/PT1H', parents: [], disabled: false }] } } : { status: 204, body: '' }));
    const o = collector();
    await jobActions.add(client, o, 'etl.json', () => JSON.stringify({ name: 'etl', command: 'true', schedule: 'R/2030-01-01T00:00:00Z/PT1H' }));
    await jobActions.add(client, o, 'rep.json', () => JSON.stringify({ name: 'report', command: 'true', parents: ['etl'] }));
    expect(o.lines).toEqual(['Replaced job etl', 'Added job report']);
    expect(client.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/v1/scheduler/iso8601', '/v1/scheduler/dependency']);
    await expect(jobActions.add(client, o, 'x.json', () => '{"command":"true"}')).rejects.toMatchObject({ exitCode: EXIT.usage });
  });

  it('formats the job table and the run history', () => {
    const lines = jobListLines([
      { name: 'b', status: 'success', state: 'idle', schedule: '', parents: ['a'], disabled: false },
      { name: 'a', status: 'fresh', state: 'running', schedule: 'R/2030-01-01T00:00:00.000Z/PT1H', parents: [], disabled: true },
    ]);
    expect(lines[0]).toMatch(/^NAME\s+STATE\s+LAST\s+SCHEDULE \/ PARENTS$/);
    expect(lines[1]).toMatch(/^a\s+disabled\s+fresh\s+R\/2030/);
    expect(lines[2]).toMatch(/^b\s+idle\s+success\s+after a$/);
    expect(jobListLines([])).toEqual(['no jobs']);
    const runs = runLines([{ id: 'r1', trigger: 'scheduled', status: 'FAILED', attempt: 2, dueAt: 0, startedAt: 1000, taskId: 'ct:0:2:a:', message: 'exit 1' }]);
    expect(runs[1]).toMatch(/^FAILED\s+scheduled\s+3\s+1970-01-01T00:00:00.000Z\s+1970-01-01T00:00:01.000Z\s+-\s+ct:0:2:a:\s+exit 1$/);
  });
});
