/**
 * Remaining Marathon compatibility items of issue 7 (FakeClock, recording driver): `/v2/info` in HA mode,
 * the scheduler-level events and instance_changed_event for the framework's own instance changes (spec
 * §4.13), `--max_running_deployments` (403), the enforceRole default role and the framework roles following the
 * apps, and `embed=apps.taskStats` (§3.6).
 */
import { describe, expect, it } from 'vitest';
import type { MarathonEvent } from '../../../src/apps/events/bus.js';
import { EventBus } from '../../../src/apps/events/bus.js';
import { schedulerEvents } from '../../../src/apps/events/scheduler-events.js';
import { infoJson, redactCredentials } from '../../../src/apps/http/info.js';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import type { FrameworkInfoJson } from '../../../src/api/mesos/common.js';
import { frameworkRoles, roleSync } from '../../../src/apps/service/framework-roles.js';
import { harness, offer } from './harness.js';

const flags = { master: 'zk://u:secret@127.0.0.1:2181/mesos', framework_name: 'marathon', mesos_role: '*', port: 0, ip: '127.0.0.1', max_running_deployments: 7 };

describe('/v2/info (spec §3.10)', () => {
  it('describes a single node without --zk, and the ZooKeeper settings (no credentials) in HA mode', () => {
    const single = infoJson(flags, 'http://10.0.0.1:8080', 'fw-1');
    expect(single).toMatchObject({ elected: true, leader: '10.0.0.1:8080', frameworkId: 'fw-1', http_config: { http_port: 8080 }, event_subscriber: null });
    expect(single['marathon_config']).toMatchObject({ ha: false, master: 'zk://127.0.0.1:2181/mesos', max_running_deployments: 7 });
    const ha = infoJson(flags, 'http://10.0.0.2:9090', 'fw-1', { zk: 'zk://user:pw@h1:2181,h2:2181/marathon', zkSessionTimeoutMs: 4000 });
    expect(ha['marathon_config']).toMatchObject({ ha: true });
    expect(ha['zookeeper_config']).toEqual({
      zk: 'zk://h1:2181,h2:2181/marathon', zk_compression: true, zk_compression_threshold: 65536, zk_connection_timeout: 4000,
      zk_max_node_size: 1048576, zk_max_versions: 50, zk_session_timeout: 4000, zk_timeout: 4000,
    });
    expect(ha['http_config']).toEqual({ http_port: 9090, https_port: 8443 });
    expect(JSON.stringify(ha)).not.toContain('pw@');
    expect(redactCredentials('host:5050')).toBe('host:5050');
  });
});

describe('scheduler events (spec §4.13)', () => {
  it('publishes registered once, then reregistered, disconnected only for a lost subscribed stream, and framework messages', () => {
    const bus = new EventBus(new FakeClock());
    const seen: MarathonEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    const p = schedulerEvents(bus);
    const master = { id: 'm', ip: 0, port: 5050, hostname: 'm1' };
    p.disconnected(); // a failed first attempt: never connected
    p.subscribed('fw-1', master);
    p.disconnected();
    p.disconnected(); // failed re-subscription attempts publish nothing more
    p.subscribed('fw-1', { ...master, hostname: 'm2' });
    p.message('agent-1', 'exec-1', Buffer.from('hi'));
    expect(seen.map(({ timestamp: _t, ...rest }) => rest)).toEqual([
      { eventType: 'scheduler_registered_event', frameworkId: 'fw-1', master: 'm1' },
      { eventType: 'scheduler_disconnected_event' },
      { eventType: 'scheduler_reregistered_event', master: 'm2' },
      { eventType: 'framework_message_event', slaveId: 'agent-1', executorId: 'exec-1', message: [104, 105] },
    ]);
  });

  it('publishes instance_changed_event for each condition and goal change, once each', async () => {
    const h = harness();
    const events: MarathonEvent[] = [];
    h.state.events.subscribe((e) => events.push(e));
    await h.inject('POST', '/v2/apps', { id: 'ic', cmd: 'x', cpus: 0.1, mem: 16, instances: 1 });
    await h.runtime.onOffers([offer('h1')]);
    const task = h.driver.tasks[0]?.task_id.value ?? '';
    await h.update(task, 'TASK_RUNNING');
    await h.inject('PUT', '/v2/apps/ic?force=true', { instances: 0 });
    await h.update(task, 'TASK_KILLED');
    const changed = events.filter((e) => e.eventType === 'instance_changed_event');
    expect(changed.map((e) => [e['condition'], e['goal']])).toEqual([
      ['Scheduled', 'Running'], ['Provisioned', 'Running'], ['Running', undefined], ['Running', 'Decommissioned'], ['Killed', undefined],
    ]);
    expect(changed[1]).toMatchObject({ runSpecId: '/ic', host: 'h1', agentId: 'agent-h1' });
  });
});

describe('--max_running_deployments (spec §1.5, §4.15)', () => {
  it('refuses a write that would start one deployment too many with 403, storing nothing', async () => {
    const h = harness();
    h.state.maxRunningDeployments = 1;
    expect((await h.inject('POST', '/v2/apps', { id: 'a', cmd: 'x', cpus: 0.1, mem: 16 })).status).toBe(201);
    const refused = await h.inject('POST', '/v2/apps', { id: 'b', cmd: 'x', cpus: 0.1, mem: 16 });
    expect(refused.status).toBe(403);
    expect(refused.json?.['message']).toMatch(/^Max number \(1\) of running deployments is achieved\./);
    expect(h.state.apps.has('/b')).toBe(false);
    expect((await h.inject('POST', '/v2/groups', { id: 'g', apps: [{ id: 'c', cmd: 'x' }] })).status).toBe(403);
    expect(h.state.apps.has('/g/c')).toBe(false);
    // A forced change of the app under deployment replaces that deployment: still one running.
    expect((await h.inject('PUT', '/v2/apps/a?force=true', { cmd: 'y' })).status).toBe(200);
    expect(h.state.deployments.size).toBe(1);
  });
});

describe('enforceRole (Marathon 1.9+)', () => {
  it('gives apps without a role their top-level group role when it enforces it, else --mesos_role', async () => {
    const h = harness();
    h.state.mesosRole = 'marathon';
    expect((await h.inject('POST', '/v2/groups', { id: 'dev', enforceRole: true, apps: [{ id: 'a', cmd: 'x' }], groups: [{ id: 'sub', apps: [{ id: 'b', cmd: 'x' }] }] })).status).toBe(201);
    await h.inject('POST', '/v2/apps', { id: '/dev/c', cmd: 'x' });
    await h.inject('POST', '/v2/apps', { id: '/dev/d', cmd: 'x', role: 'marathon' });
    await h.inject('POST', '/v2/apps', { id: '/prod/e', cmd: 'x' });
    await h.inject('POST', '/v2/apps', { id: '/f', cmd: 'x' });
    const roles = Object.fromEntries([...h.state.apps.values()].map((a) => [a.id, a.role]));
    expect(roles).toEqual({ '/dev/a': 'dev', '/dev/sub/b': 'dev', '/dev/c': 'dev', '/dev/d': 'marathon', '/prod/e': 'marathon', '/f': 'marathon' });
    // An update keeps the role the app has.
    await h.inject('PATCH', '/v2/groups/dev', { enforceRole: false });
    await h.inject('PUT', '/v2/apps/dev/c?force=true', { cmd: 'y' });
    expect(h.state.apps.get('/dev/c')?.role).toBe('dev');
  });
});

describe('framework roles follow the apps', () => {
  it('sends UPDATE_FRAMEWORK once when an app brings a new role, only while subscribed, retrying a failure', async () => {
    const calls: (readonly string[] | undefined)[] = [];
    let fail = false;
    const client = { isSubscribed: false, updateFramework: async (info: FrameworkInfoJson) => { calls.push(info.roles); if (fail) throw new Error('refused'); } };
    const sync = roleSync(client, { user: 'u', name: 'marathon', roles: ['*'] }, silentLogger());
    const h = harness();
    h.state.mesosRole = '*';
    await h.inject('POST', '/v2/groups', { id: 'dev', enforceRole: true, apps: [{ id: 'a', cmd: 'x' }] });
    const wanted = frameworkRoles(h.state.mesosRole, h.state.apps.values());
    expect(wanted).toEqual(['*', 'dev']);
    await sync(wanted);
    expect(calls).toEqual([]);
    client.isSubscribed = true;
    fail = true;
    await sync(wanted);
    fail = false;
    await sync(wanted);
    await sync(wanted);
    expect(calls).toEqual([['*', 'dev'], ['*', 'dev']]);
    await sync(['*']);
    expect(calls.at(-1)).toEqual(['*']);
  });
});

describe('embed=apps.taskStats (spec §3.6)', () => {
  it('counts instances by version and reports their life time', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'ts', cmd: 'x', cpus: 0.1, mem: 16, instances: 2 });
    await h.runtime.onOffers([offer('h1')]);
    const [t1, t2] = h.driver.tasks.map((t) => t.task_id.value);
    await h.update(t1 ?? '', 'TASK_RUNNING');
    await h.clock.advance(10_000);
    await h.update(t2 ?? '', 'TASK_RUNNING');
    await h.clock.advance(10_000);
    await h.inject('PUT', '/v2/apps/ts?force=true', { instances: 3 });
    const list = await h.inject('GET', '/v2/apps?embed=apps.taskStats');
    const stats = ((list.json?.['apps'] as Record<string, unknown>[])[0] ?? {})['tasksStats'] as Record<string, { stats: Record<string, unknown> }>;
    expect(stats['totalSummary']?.stats).toEqual({ counts: { staged: 1, running: 2, healthy: 0, unhealthy: 0 }, lifeTime: { averageSeconds: 15, medianSeconds: 15 } });
    expect(stats['withLatestConfig']?.stats['counts']).toEqual({ staged: 1, running: 2, healthy: 0, unhealthy: 0 });
    expect(stats['withOutdatedConfig']).toBeUndefined();
    expect(stats['startedAfterLastScaling']).toBeUndefined();
    const group = await h.inject('GET', '/v2/groups?embed=group.apps.taskStats');
    expect(((group.json?.['apps'] as Record<string, unknown>[])[0] ?? {})['tasksStats']).toEqual(stats);
    expect(((list.json?.['apps'] as Record<string, unknown>[])[0] ?? {})['tasksStats']).toBeDefined();
    expect(((await h.inject('GET', '/v2/apps')).json?.['apps'] as Record<string, unknown>[])[0]).not.toHaveProperty('tasksStats');

    // The instance launched after the scale started after it; a config change makes the others outdated.
    await h.runtime.onOffers([offer('h2')]);
    await h.clock.advance(1000);
    await h.update(h.driver.tasks[2]?.task_id.value ?? '', 'TASK_RUNNING');
    await h.clock.advance(1000);
    const scaled = ((await h.inject('GET', '/v2/apps/ts?embed=app.taskStats')).json?.['app'] as Record<string, unknown>)['tasksStats'] as Record<string, { stats: Record<string, unknown> }>;
    expect(scaled['startedAfterLastScaling']?.stats).toEqual({ counts: { staged: 0, running: 1, healthy: 0, unhealthy: 0 }, lifeTime: { averageSeconds: 1, medianSeconds: 1 } });
    await h.inject('PUT', '/v2/apps/ts?force=true', { cmd: 'y' });
    const after = ((await h.inject('GET', '/v2/apps/ts?embed=app.taskStats')).json?.['app'] as Record<string, unknown>)['tasksStats'] as Record<string, { stats: Record<string, unknown> }>;
    expect(after['withOutdatedConfig']?.stats['counts']).toEqual({ staged: 0, running: 3, healthy: 0, unhealthy: 0 });
    expect(after['withLatestConfig']?.stats['counts']).toMatchObject({ running: 0 });
    expect(after['startedAfterLastScaling']).toBeUndefined();
  });
});
