import { describe, expect, it } from 'vitest';
import { appListLines, appShowLines, deploymentListLines, deploymentReachedGoal, progressBar, table, taskLines, watchLines, whyLines, type AppJson } from '../../../src/cli/apps-format.js';

describe('apps CLI formatting', () => {
  it('aligns table columns, right-aligns numbers, trims trailing spaces', () => {
    expect(table(['ID', 'N', 'CMD'], [['/a', 1, ''], ['/longer', 12, 'sleep 1']])).toEqual([
      'ID       N   CMD',
      '/a        1',
      '/longer  12  sleep 1',
    ]);
  });

  it('lists apps with counts and a shortened command', () => {
    const apps: AppJson[] = [
      { id: '/web', instances: 3, tasksRunning: 2, tasksStaged: 1, tasksHealthy: 0, cpus: 0.5, mem: 64, cmd: 'x'.repeat(60), deployments: [{ id: 'd1' }] },
      { id: '/db', args: ['postgres', '-D', '/data'], instances: 1, tasksRunning: 1, cpus: 1, mem: 512 },
    ];
    const lines = appListLines(apps);
    expect(lines[0]).toMatch(/^ID\s+INSTANCES\s+RUNNING\s+STAGED\s+HEALTHY\s+CPUS\s+MEM\s+DEPLOYING\s+CMD$/);
    expect(lines[1]).toMatch(/^\/web\s+3\s+2\s+1\s+0\s+0\.5\s+64\s+yes\s+x{39}…$/);
    expect(lines[2]).toMatch(/^\/db\s+1\s+1\s+0\s+0\s+1\s+512\s+no\s+postgres -D \/data$/);
    expect(appListLines([])).toEqual(['No apps.']);
  });

  it('shows tasks with ports and health', () => {
    const lines = taskLines([
      { id: 'web.instance-1', state: 'TASK_RUNNING', host: 'h1', ports: [31000, 31001], startedAt: '2026-01-01T00:00:00.000Z', healthCheckResults: [{ alive: true }] },
      { id: 'web.instance-2', state: 'TASK_STAGING', host: 'h2', ports: [], startedAt: null, healthCheckResults: [{ alive: false }] },
      { id: 'web.instance-3', state: 'TASK_RUNNING', host: 'h2' },
    ]);
    expect(lines[1]).toMatch(/TASK_RUNNING\s+h1\s+31000,31001\s+2026-01-01T00:00:00.000Z\s+healthy$/);
    expect(lines[2]).toMatch(/TASK_STAGING\s+h2\s+-\s+unhealthy$/);
    expect(lines[3]).toMatch(/TASK_RUNNING\s+h2\s+-\s+-$/);
    expect(taskLines([])).toEqual(['No tasks.']);
  });

  it('shows an app with its main fields, last failure and tasks', () => {
    const lines = appShowLines({
      id: '/web', cmd: 'serve', instances: 2, tasksRunning: 2, cpus: 0.1, mem: 32, disk: 0, version: 'v1',
      portDefinitions: [{ port: 10000, name: 'http' }], labels: { team: 'a' }, healthChecks: [{ protocol: 'HTTP', path: '/' }],
      deployments: [], lastTaskFailure: { state: 'TASK_FAILED', message: 'exit 1', timestamp: 't' }, tasks: [],
    });
    expect(lines).toContain('ports:       10000(http)');
    expect(lines).toContain('labels:      team=a');
    expect(lines).toContain('health:      HTTP /');
    expect(lines).toContain('deployments: none');
    expect(lines).toContain('last failure: TASK_FAILED exit 1 at t');
    expect(lines.at(-1)).toBe('No tasks.');
  });

  it('explains a waiting app from the queue funnel and names the main rejection', () => {
    const lines = whyLines('/big', {
      count: 2, since: 's', delay: { timeLeftSeconds: 3, overdue: false },
      processedOffersSummary: {
        processedOffersCount: 5, unusedOffersCount: 5,
        rejectSummaryLastOffers: [
          { reason: 'UnfulfilledRole', declined: 0, processed: 5 },
          { reason: 'UnfulfilledConstraint', declined: 1, processed: 5 },
          { reason: 'InsufficientCpus', declined: 4, processed: 4 },
        ],
      },
      lastUnusedOffers: [{ offer: { hostname: 'h1' }, reason: ['InsufficientCpus'] }],
    });
    expect(lines[0]).toBe('/big: 2 instance(s) waiting since s');
    expect(lines).toContain('launch delayed (backoff): 3s left');
    expect(lines).toContain('offers processed: 5, unused: 5');
    expect(lines.some((l) => /^InsufficientCpus\s+4\s+4$/.test(l))).toBe(true);
    expect(lines).toContain('most offers were rejected by: InsufficientCpus');
    expect(lines).toContain('  h1: InsufficientCpus');
    expect(whyLines('/ok', undefined)).toEqual(['/ok: no instance is waiting to be placed.']);
    expect(whyLines('/new', { count: 1, since: 's' })).toContain('no offer has been processed for it yet (no agent with free resources offered?)');
  });

  it('lists deployments with their current step and actions', () => {
    const lines = deploymentListLines([{ id: 'd1', version: 'v', affectedApps: ['/a'], currentStep: 2, totalSteps: 2, currentActions: [{ action: 'ScaleApplication', app: '/a' }] }]);
    expect(lines[1]).toMatch(/^d1\s+\/a\s+2\/2\s+ScaleApplication \/a\s+v$/);
    expect(deploymentListLines([])).toEqual(['No deployments.']);
  });

  it('draws progress bars and per-step progress of a deployment', () => {
    expect(progressBar(0, 4)).toBe(`[${'.'.repeat(20)}]`);
    expect(progressBar(1, 4)).toBe(`[${'#'.repeat(5)}${'.'.repeat(15)}]`);
    expect(progressBar(9, 4)).toBe(`[${'#'.repeat(20)}]`);
    expect(progressBar(0, 0)).toBe(`[${'#'.repeat(20)}]`);
    const d = {
      id: 'd1', currentStep: 2, totalSteps: 2,
      steps: [{ actions: [{ action: 'StartApplication', app: '/a' }] }, { actions: [{ action: 'ScaleApplication', app: '/a' }] }],
    };
    const apps = new Map<string, AppJson>([['/a', { id: '/a', instances: 4, tasksRunning: 1, tasksStaged: 2 }]]);
    const lines = watchLines(d, apps, 1500);
    expect(lines[0]).toBe('deployment d1  (1.5s)');
    expect(lines[1]).toMatch(/^ {2}step 1\/2 \[done\] StartApplication \/a \[#####\.{15}\] 1\/4 ready, 2 staging$/);
    expect(lines[2]).toMatch(/^ {2}step 2\/2 \[now \] ScaleApplication \/a/);
    // Health-checked apps count healthy instances; a stop counts down and a deleted app shows stopped.
    const checked = new Map<string, AppJson>([['/a', { id: '/a', instances: 2, tasksRunning: 2, tasksHealthy: 1, healthChecks: [{ protocol: 'HTTP' }] }]]);
    expect(watchLines(d, checked, 0)[2]).toContain('1/2 ready');
    const stop = { id: 'd2', currentStep: 1, totalSteps: 1, steps: [{ actions: [{ action: 'StopApplication', app: '/a' }] }] };
    expect(watchLines(stop, new Map([['/a', { id: '/a', instances: 2, tasksRunning: 1 }]]), 0)[1]).toContain('1 left');
    expect(watchLines(stop, new Map(), 0)[1]).toContain('stopped');
  });

  it('judges whether a finished deployment reached its goal', () => {
    const scale = { id: 'd', steps: [{ actions: [{ action: 'ScaleApplication', app: '/a' }] }] };
    expect(deploymentReachedGoal(scale, new Map([['/a', { id: '/a', instances: 2, tasksRunning: 2 }]]))).toBe(true);
    expect(deploymentReachedGoal(scale, new Map([['/a', { id: '/a', instances: 2, tasksRunning: 2, tasksStaged: 1 }]]))).toBe(false);
    expect(deploymentReachedGoal(scale, new Map())).toBe(false);
    const stop = { id: 'd', steps: [{ actions: [{ action: 'StopApplication', app: '/a' }] }] };
    expect(deploymentReachedGoal(stop, new Map())).toBe(true);
    expect(deploymentReachedGoal(stop, new Map([['/a', { id: '/a' }]]))).toBe(false);
  });
});
