import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../src/lb/model.js';
import { app, EXTERNAL, task } from './fixtures.js';

const OPTS = { groups: ['external'], bindAddr: '*' };

describe('buildModel', () => {
  it('makes one service per port with a service port, servers = running tasks, sorted', () => {
    const m = buildModel({ apps: [app('/web/api', [10001, 10002], EXTERNAL, [task('t2', 31002, { ports: [31002, 31012] }), task('t1', 31001, { ports: [31001, 31011] })])] }, OPTS);
    expect(m.errors).toEqual([]);
    expect(m.services.map((s) => [s.backend, s.servicePort, s.portIndex, s.mode, s.servers.map((x) => `${x.ip}:${x.port}`)])).toEqual([
      ['web_api_10001', 10001, 0, 'tcp', ['10.0.0.1:31001', '10.0.0.1:31002']],
      ['web_api_10002', 10002, 1, 'tcp', ['10.0.0.1:31011', '10.0.0.1:31012']],
    ]);
  });

  it('keeps only TASK_RUNNING tasks, and with health checks only tasks alive on every result', () => {
    const tasks = [
      task('a', 31001, { healthCheckResults: [{ alive: true }] }),
      task('b', 31002, { healthCheckResults: [{ alive: true }, { alive: false }] }),
      task('c', 31003, { healthCheckResults: [] }),
      task('d', 31004, { state: 'TASK_STAGING', healthCheckResults: [{ alive: true }] }),
      task('e', 31005, { state: 'TASK_KILLING', healthCheckResults: [{ alive: true }] }),
      task('f', 31006, { host: '', healthCheckResults: [{ alive: true }] }),
    ];
    const checks = [{ protocol: 'HTTP', path: '/health', portIndex: 0, intervalSeconds: 5, timeoutSeconds: 2, maxConsecutiveFailures: 2 }];
    const m = buildModel({ apps: [app('/h', [10001], EXTERNAL, tasks, { healthChecks: checks })] }, OPTS);
    expect(m.services[0]?.servers.map((s) => s.taskId)).toEqual(['a']);
    expect(m.services[0]?.mode).toBe('http');
    expect(m.services[0]?.healthCheck).toEqual({ protocol: 'HTTP', path: '/health', intervalSeconds: 5, timeoutSeconds: 2, maxConsecutiveFailures: 2 });
    const noChecks = buildModel({ apps: [app('/h', [10001], EXTERNAL, tasks)] }, OPTS);
    expect(noChecks.services[0]?.servers.map((s) => s.taskId)).toEqual(['a', 'b', 'c']);
  });

  it('filters by group (* = all, even without a group), HAPROXY_{n}_GROUP and ENABLED', () => {
    const body = { apps: [
      app('/a', [10001], EXTERNAL, []),
      app('/b', [10002], { HAPROXY_GROUP: 'internal' }, []),
      app('/c', [10003], {}, []),
      app('/d', [10004, 10005], { HAPROXY_GROUP: 'external', HAPROXY_1_GROUP: 'internal' }, []),
      app('/e', [10006], { HAPROXY_GROUP: 'external', HAPROXY_0_ENABLED: 'false' }, []),
    ] };
    expect(buildModel(body, OPTS).services.map((s) => s.backend)).toEqual(['a_10001', 'd_10004']);
    expect(buildModel(body, { ...OPTS, groups: ['internal'] }).services.map((s) => s.backend)).toEqual(['b_10002', 'd_10005']);
    expect(buildModel(body, { ...OPTS, groups: ['*'] }).services).toHaveLength(5); // /e is disabled
  });

  it('applies labels: PORT overrides the service port, VHOST implies http, BIND_ADDR over the default', () => {
    const m = buildModel({ apps: [app('/w', [10001], { ...EXTERNAL, HAPROXY_0_PORT: '10500', HAPROXY_0_VHOST: 'w.example.com', HAPROXY_0_BIND_ADDR: '127.0.0.1' }, [task('t', 31000)])] }, OPTS);
    expect(m.services[0]).toMatchObject({ servicePort: 10500, backend: 'w_10500', mode: 'http', vhosts: ['w.example.com'], bindAddr: '127.0.0.1' });
  });

  it('skips an app with a bad label and records the error; the other apps stay', () => {
    const m = buildModel({ apps: [
      app('/good', [10001], EXTERNAL, [task('g', 31001)]),
      app('/bad', [10002], { ...EXTERNAL, HAPROXY_0_VHOST: 'x.com\n  server evil 1.2.3.4:80' }, [task('b', 31002)]),
    ] }, OPTS);
    expect(m.services.map((s) => s.appId)).toEqual(['/good']);
    expect(m.errors).toEqual([{ appId: '/bad', message: 'label HAPROXY_0_VHOST: control characters (newline, tab...) are not allowed' }]);
  });

  it('gives a service port to the first app (by id) and reports the others', () => {
    const m = buildModel({ apps: [app('/z', [10001], EXTERNAL, []), app('/a', [10001], EXTERNAL, [])] }, OPTS);
    expect(m.services.map((s) => s.appId)).toEqual(['/a']);
    expect(m.errors).toEqual([{ appId: '/z', message: 'service port 10001 (port index 0) is already used by /a' }]);
  });

  it('skips ports without a service port, resolves hosts with ipOf, and ignores junk input', () => {
    const body = { apps: [app('/a', [0, 10002], EXTERNAL, [task('t', 0, { host: 'node1', ports: [31001, 31002] }), task('u', 0, { host: 'gone', ports: [31003, 31004] })]), 'junk', { id: 5 }] };
    const m = buildModel(body, { ...OPTS, ipOf: (h) => (h === 'node1' ? '10.9.9.9' : undefined) });
    expect(m.services.map((s) => [s.servicePort, s.servers])).toEqual([[10002, [{ taskId: 't', host: 'node1', ip: '10.9.9.9', port: 31002 }]]]);
    expect(buildModel(null, OPTS)).toEqual({ services: [], errors: [] });
    expect(buildModel({ apps: [{ id: '/legacy', labels: EXTERNAL, ports: [10009], tasks: [] }] }, OPTS).services[0]?.servicePort).toBe(10009);
  });
});
