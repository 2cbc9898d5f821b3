import { describe, expect, it } from 'vitest';
import { isTruthy, LabelError, readServiceLabels } from '../../../src/lb/labels.js';

describe('readServiceLabels', () => {
  it('reads defaults when no label is set', () => {
    expect(readServiceLabels({}, 0)).toEqual({
      groups: [], vhosts: [], mode: undefined, balance: 'roundrobin', sticky: false, bindAddr: undefined, port: undefined,
      redirectToHttps: false, sslCert: undefined, path: undefined, enabled: undefined,
    });
  });

  it('reads per-port labels for index n, and HAPROXY_{n}_GROUP over HAPROXY_GROUP', () => {
    const l = readServiceLabels({
      HAPROXY_GROUP: 'external,internal', HAPROXY_1_GROUP: 'edge', HAPROXY_1_VHOST: 'A.example.com, b.example.com', HAPROXY_1_MODE: 'HTTP',
      HAPROXY_1_BALANCE: 'leastconn', HAPROXY_1_STICKY: 'Yes', HAPROXY_1_BIND_ADDR: '10.1.2.3', HAPROXY_1_PORT: '10500',
      HAPROXY_1_REDIRECT_TO_HTTPS: 't', HAPROXY_1_SSL_CERT: '/etc/ssl/a.pem', HAPROXY_1_PATH: '-i /api /v2', HAPROXY_0_VHOST: 'other.example.com',
    }, 1);
    expect(l).toEqual({
      groups: ['edge'], vhosts: ['a.example.com', 'b.example.com'], mode: 'http', balance: 'leastconn', sticky: true, bindAddr: '10.1.2.3', port: 10500,
      redirectToHttps: true, sslCert: '/etc/ssl/a.pem', path: '-i /api /v2', enabled: undefined,
    });
    expect(readServiceLabels({ HAPROXY_GROUP: 'external,internal' }, 0).groups).toEqual(['external', 'internal']);
  });

  it.each([
    ['HAPROXY_0_VHOST', 'bad host.example.com', "invalid virtual host 'bad host.example.com'"],
    ['HAPROXY_0_VHOST', 'a.com\n  bind *:1', 'control characters'],
    ['HAPROXY_0_VHOST', 'a.com#x', 'invalid virtual host'],
    ['HAPROXY_0_MODE', 'udp', 'must be tcp or http'],
    ['HAPROXY_0_BALANCE', 'roundrobin\nserver x', 'control characters'],
    ['HAPROXY_0_BALANCE', 'hdr(host) x', 'unknown balance algorithm'],
    ['HAPROXY_0_BIND_ADDR', '1.2.3.4 ssl', 'invalid bind address'],
    ['HAPROXY_0_BIND_ADDR', '300.1.1.1', 'invalid bind address'],
    ['HAPROXY_0_PORT', '70000', 'must be a port number'],
    ['HAPROXY_0_PORT', '80a', 'must be a port number'],
    ['HAPROXY_0_SSL_CERT', '/etc/a.pem crt /etc/b.pem', 'absolute file path'],
    ['HAPROXY_0_SSL_CERT', 'relative.pem', 'absolute file path'],
    ['HAPROXY_0_PATH', '/a}', 'invalid path match'],
    ['HAPROXY_GROUP', 'ext ernal', "invalid group 'ext ernal'"],
    ['HAPROXY_3_ANYTHING', 'x\ry', 'control characters'],
  ])('refuses %s=%j', (label, value, message) => {
    const labels: Record<string, string> = { HAPROXY_0_VHOST: 'ok.example.com', [label]: value };
    let err: unknown;
    try {
      readServiceLabels(labels, 0);
    } catch (e: unknown) {
      err = e;
    }
    expect(err).toBeInstanceOf(LabelError);
    expect((err as LabelError).label).toBe(label);
    expect((err as LabelError).message).toContain(message);
  });

  it('needs a VHOST for a PATH', () => {
    expect(() => readServiceLabels({ HAPROXY_0_PATH: '/api' }, 0)).toThrow('needs HAPROXY_0_VHOST');
  });

  it('accepts wildcard vhosts, IPv6 and * bind addresses', () => {
    expect(readServiceLabels({ HAPROXY_0_VHOST: '*.example.com' }, 0).vhosts).toEqual(['*.example.com']);
    expect(readServiceLabels({ HAPROXY_0_BIND_ADDR: '::1' }, 0).bindAddr).toBe('::1');
    expect(readServiceLabels({ HAPROXY_0_BIND_ADDR: '*' }, 0).bindAddr).toBe('*');
  });

  it('knows marathon-lb truthy spellings', () => {
    expect(['true', 'T', 'yes', 'Y'].every(isTruthy)).toBe(true);
    expect(['false', '1', 'on', ''].some(isTruthy)).toBe(false);
  });
});
