import { describe, expect, it } from 'vitest';
import { parseJobBody } from '../../../src/jobs/api/job-input.js';
import { DEFAULT_JOB_DEFAULTS, type JobJson } from '../../../src/jobs/api/job-schema.js';
import { JobsError } from '../../../src/jobs/api/errors.js';
import { childrenOf, graphCsv, graphDot, validateParents } from '../../../src/jobs/api/graph.js';

const NOW = Date.parse('2024-05-01T10:00:00Z');
const sched = (o: object): JobJson => parseJobBody(JSON.stringify(o), 'scheduled', DEFAULT_JOB_DEFAULTS, NOW);
const dep = (o: object): JobJson => parseJobBody(JSON.stringify(o), 'dependent', DEFAULT_JOB_DEFAULTS, NOW);

function status400(fn: () => unknown): string {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof JobsError && e.status === 400) return e.message;
    throw e;
  }
  throw new Error('expected a 400');
}

describe('job bodies', () => {
  it('accepts the Chronos documentation example verbatim, with string numbers and defaults', () => {
    const j = sched({
      schedule: 'R10/2012-10-01T05:52:00Z/PT2S',
      name: 'SAMPLE_JOB1',
      epsilon: 'PT30M',
      command: 'echo "some message"',
      owner: 'person@example.com',
      async: false,
      cpus: '0.5',
      mem: '512',
      uris: ['https://s3.amazonaws.com/mybucket/myfile.tar.gz'],
      unknownKey: 1,
    });
    expect(j).toMatchObject({ name: 'SAMPLE_JOB1', cpus: 0.5, mem: 512, disk: 256, retries: 2, shell: true, runAsUser: 'root', epsilon: 'PT30M', async: false });
    expect(j.schedule).toBe('R10/2012-10-01T05:52:00Z/PT2S');
    expect(j.scheduleTimeZone).toBe('');
    expect(j.parents).toBeUndefined();
    expect(j.fetch).toEqual([]);
  });

  it('treats null as absent, freezes an empty start, and defaults a missing schedule to run once now', () => {
    const j = sched({ name: 'n', retries: null, schedule: 'R//PT1H', cpus: 0 });
    expect(j.retries).toBe(2);
    expect(j.cpus).toBe(0.1);
    expect(j.schedule).toBe('R/2024-05-01T10:00:00.000Z/PT1H');
    expect(sched({ name: 'once' }).schedule).toBe('R1/2024-05-01T10:00:00.000Z/PT24H');
  });

  it('rejects invalid bodies with 400 and a message', () => {
    expect(status400(() => parseJobBody('{nope', 'scheduled', DEFAULT_JOB_DEFAULTS, NOW))).toMatch(/Malformed JSON/);
    expect(status400(() => sched({ name: 'bad name', schedule: 'R//PT1S' }))).toMatch(/must match/);
    expect(status400(() => sched({ name: 'a', schedule: 'R/yesterday/PT1S' }))).toMatch(/^Cannot parse schedule/);
    expect(status400(() => sched({ name: 'a', schedule: 'R//PT0S' }))).toMatch(/greater than zero/);
    expect(status400(() => sched({ name: 'a', schedule: 'R//PT1S', scheduleTimeZone: 'Mars/Base' }))).toMatch(/Unknown scheduleTimeZone/);
    expect(status400(() => sched({ name: 'a', schedule: 'R//PT1S', parents: ['b'] }))).toMatch(/both/);
    expect(status400(() => sched({ name: 'a', cpus: 'lots' }))).toMatch(/cpus/);
    expect(status400(() => sched({ name: 'a', uris: ['x'], fetch: [{ uri: 'y' }] }))).toMatch(/both uris/);
    expect(status400(() => dep({ name: 'c', parents: [] }))).toMatch(/at least one parent/);
    expect(status400(() => sched({ name: 'a', epsilon: 'soon' }))).toMatch(/epsilon/);
    expect(status400(() => sched({ command: 'x' }))).toMatch(/name is required/);
  });
});

describe('dependency graph', () => {
  const a = sched({ name: 'a', schedule: 'R//PT1H' });
  const b = sched({ name: 'b', schedule: 'R//PT1H' });
  const c = dep({ name: 'c', parents: ['a', 'b', 'a'] });
  const jobs = new Map([
    ['a', a],
    ['b', b],
    ['c', c],
  ]);

  it('validates parents at write time: unknown, self, cycle', () => {
    expect(c.parents).toEqual(['a', 'b']);
    expect(() => validateParents(c, jobs)).not.toThrow();
    expect(status400(() => validateParents(dep({ name: 'd', parents: ['zz'] }), jobs))).toMatch(/does not have all parents defined/);
    expect(status400(() => validateParents(dep({ name: 'd', parents: ['d'] }), jobs))).toMatch(/own parent/);
    // Re-posting a as a child of c would close a → c → a.
    expect(status400(() => validateParents(dep({ name: 'a', parents: ['c'] }), jobs))).toMatch(/cycle/);
    expect(childrenOf('a', jobs)).toEqual(['c']);
  });

  it('renders DOT and CSV like upstream', () => {
    expect(graphDot(jobs)).toBe('digraph G {\n  1 [ label="a" ];\n  2 [ label="b" ];\n  3 [ label="c" ];\n  1 -> 3;\n  2 -> 3;\n}\n');
    expect(graphCsv(jobs, () => 'idle')).toBe('node,a,fresh,idle\nnode,b,fresh,idle\nnode,c,fresh,idle\nlink,a,c\nlink,b,c\n');
  });
});
