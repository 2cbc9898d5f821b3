import { describe, expect, it } from 'vitest';
import { routeVhost, listenHost } from '../../../src/lb/builtin-proxy.js';
import { eventTypesOf, RELEVANT_EVENTS, SseLineBuffer } from '../../../src/lb/event-follower.js';
import { buildModel } from '../../../src/lb/model.js';
import { pidFromInfo, runtimeFailures } from '../../../src/lb/runtime-api.js';
import { app, EXTERNAL } from './fixtures.js';

describe('SSE parsing', () => {
  it('splits CRLF frames across chunks and reads eventType of data lines', () => {
    const b = new SseLineBuffer();
    const first = b.push('event: status_update_event\r\ndata: {"eventType":"status_up');
    const second = b.push('date_event","taskId":"t"}\r\n\r\n\r\nevent: x\r\ndata: not json\r\n');
    expect(eventTypesOf(first)).toEqual([]);
    expect(eventTypesOf(second)).toEqual(['status_update_event']);
    expect(RELEVANT_EVENTS).toEqual(expect.arrayContaining(['status_update_event', 'health_status_changed_event', 'api_post_event', 'deployment_success']));
  });
});

describe('built-in vhost routing', () => {
  const m = buildModel({ apps: [
    app('/site', [10000], { ...EXTERNAL, HAPROXY_0_VHOST: 'site.test,www.site.test' }, []),
    app('/site/api', [10001], { ...EXTERNAL, HAPROXY_0_VHOST: 'site.test', HAPROXY_0_PATH: '/api' }, []),
    app('/tcp', [10002], { ...EXTERNAL, HAPROXY_0_VHOST: 'tcp.test', HAPROXY_0_MODE: 'tcp' }, []),
  ] }, { groups: ['external'], bindAddr: '*' });

  it('routes by Host (port stripped, any case), path prefixes first; http services only', () => {
    expect(routeVhost(m.services, 'Site.Test:8080', '/index.html')?.appId).toBe('/site');
    expect(routeVhost(m.services, 'site.test', '/api/v1?x=1')?.appId).toBe('/site/api');
    expect(routeVhost(m.services, 'www.site.test', '/api')?.appId).toBe('/site');
    expect(routeVhost(m.services, 'tcp.test', '/')).toBeUndefined();
    expect(routeVhost(m.services, undefined, '/')).toBeUndefined();
    expect(listenHost('*')).toBe('0.0.0.0');
  });
});

describe('runtime API answers', () => {
  it('finds refusals and the worker pid', () => {
    expect(runtimeFailures('\nIP changed from 127.0.0.1 to 10.0.0.1, port changed from 1 to 31000 by stats socket command\n\n')).toEqual([]);
    expect(runtimeFailures('No such server.\n\n')).toEqual(['No such server.']);
    expect(runtimeFailures('Unknown command. Please enter one of the following commands only :\n')).toHaveLength(1);
    expect(pidFromInfo('Name: HAProxy\nVersion: 2.6.12\nPid: 4242\n')).toBe(4242);
    expect(pidFromInfo('')).toBeUndefined();
  });
});
