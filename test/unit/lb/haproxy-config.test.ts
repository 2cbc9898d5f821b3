import { describe, expect, it } from 'vitest';
import { renderHaproxyConfig, slotCount, type HaproxyRenderOptions } from '../../../src/lb/haproxy-config.js';
import { buildModel } from '../../../src/lb/model.js';
import { app, EXTERNAL, task } from './fixtures.js';

const OPTS: HaproxyRenderOptions = { adminSocket: '/run/lb/admin.sock', bindAddr: '*', statsPort: 9091, httpPort: 80, httpsPort: 443, sslCerts: [], minSlots: 3 };

/** The config after the fixed global/defaults head, to keep snapshots about the services. */
function body(text: string): string {
  return text.slice(text.indexOf('listen stats'));
}

describe('renderHaproxyConfig', () => {
  it('renders the head with the admin socket, stats listener and health-check URI', () => {
    const text = renderHaproxyConfig({ services: [], errors: [] }, OPTS);
    expect(text).toContain('  stats socket /run/lb/admin.sock mode 600 level admin expose-fd listeners\n');
    expect(text).toContain('listen stats\n  bind *:9091\n  mode http\n  stats enable\n  stats uri /haproxy?stats\n  monitor-uri /_haproxy_health_check\n');
    expect(text).not.toContain('frontend');
    expect(renderHaproxyConfig({ services: [], errors: [] }, { ...OPTS, statsPort: 0 })).not.toContain('listen stats');
  });

  it('renders a TCP service: frontend on the service port, backend with servers then disabled spare slots', () => {
    const m = buildModel({ apps: [app('/db', [10001], { ...EXTERNAL, HAPROXY_0_BIND_ADDR: '127.0.0.1', HAPROXY_0_BALANCE: 'leastconn' }, [task('t2', 31002, { host: '10.0.0.2' }), task('t1', 31001)])] }, { groups: ['external'], bindAddr: '*' });
    expect(body(renderHaproxyConfig(m, OPTS))).toMatchInlineSnapshot(`
      "listen stats
        bind *:9091
        mode http
        stats enable
        stats uri /haproxy?stats
        monitor-uri /_haproxy_health_check

      frontend db_10001
        bind 127.0.0.1:10001
        mode tcp
        use_backend db_10001

      backend db_10001
        balance leastconn
        mode tcp
        retries 5
        server s1 10.0.0.1:31001 id 1 check inter 2s rise 1 fall 2 observe layer4 error-limit 1 on-error mark-down
        server s2 10.0.0.2:31002 id 2 check inter 2s rise 1 fall 2 observe layer4 error-limit 1 on-error mark-down
        server s3 127.0.0.1:1 id 3 disabled check inter 2s rise 1 fall 2 observe layer4 error-limit 1 on-error mark-down

      "
    `);
  });

  it('renders vhost routing (host ACLs, path, redirect), SNI on the HTTPS port, sticky cookies and HTTP health checks', () => {
    const checks = [{ protocol: 'HTTP', path: '/health', portIndex: 0, intervalSeconds: 10, timeoutSeconds: 5, maxConsecutiveFailures: 3 }];
    const m = buildModel({ apps: [
      app('/web', [10000], { ...EXTERNAL, HAPROXY_0_VHOST: 'web.example.com,www.example.com', HAPROXY_0_STICKY: 'true', HAPROXY_0_SSL_CERT: '/etc/ssl/web.pem' }, [task('w', 31000, { healthCheckResults: [{ alive: true }] })], { healthChecks: checks }),
      app('/web/api', [10001], { ...EXTERNAL, HAPROXY_0_VHOST: 'web.example.com', HAPROXY_0_PATH: '/api', HAPROXY_0_REDIRECT_TO_HTTPS: 'yes' }, []),
    ] }, { groups: ['external'], bindAddr: '*' });
    expect(body(renderHaproxyConfig(m, { ...OPTS, minSlots: 2 }))).toMatchInlineSnapshot(`
      "listen stats
        bind *:9091
        mode http
        stats enable
        stats uri /haproxy?stats
        monitor-uri /_haproxy_health_check

      frontend marathon_http_in
        bind *:80
        mode http
        option idle-close-on-response
        acl host_web_example_com_web_api hdr(host),field(1,:) -i web.example.com
        acl path_web_api_10001 path_beg /api
        redirect scheme https code 301 if !{ ssl_fc } host_web_example_com_web_api path_web_api_10001
        acl host_web_example_com_web hdr(host),field(1,:) -i web.example.com
        acl host_web_example_com_web hdr(host),field(1,:) -i www.example.com
        use_backend web_10000 if host_web_example_com_web

      frontend marathon_https_in
        bind *:443 ssl crt /etc/ssl/web.pem
        mode http
        option idle-close-on-response
        acl path_web_api_10001 path_beg /api
        use_backend web_api_10001 if { ssl_fc_sni web.example.com } path_web_api_10001
        use_backend web_10000 if { ssl_fc_sni web.example.com }
        use_backend web_10000 if { ssl_fc_sni www.example.com }

      frontend web_10000
        bind *:10000 ssl crt /etc/ssl/web.pem
        mode http
        option idle-close-on-response
        use_backend web_10000

      frontend web_api_10001
        bind *:10001
        mode http
        option idle-close-on-response
        use_backend web_api_10001

      backend web_10000
        balance roundrobin
        mode http
        retries 5
        retry-on conn-failure empty-response junk-response response-timeout
        option http-server-close
        option forwardfor
        http-request set-header X-Forwarded-Port %[dst_port]
        http-request add-header X-Forwarded-Proto https if { ssl_fc }
        cookie mesosphere_server_id insert indirect nocache
        option httpchk GET /health
        timeout check 5s
        server s1 10.0.0.1:31000 id 1 check inter 10s fall 4 observe layer4 error-limit 1 on-error mark-down cookie 756e3fd747
        server s2 127.0.0.1:1 id 2 disabled check inter 10s fall 4 observe layer4 error-limit 1 on-error mark-down

      backend web_api_10001
        balance roundrobin
        mode http
        retries 5
        retry-on conn-failure empty-response junk-response response-timeout
        option http-server-close
        option forwardfor
        http-request set-header X-Forwarded-Port %[dst_port]
        http-request add-header X-Forwarded-Proto https if { ssl_fc }
        server s1 127.0.0.1:1 id 1 disabled check inter 2s rise 1 fall 2 observe layer4 error-limit 1 on-error mark-down
        server s2 127.0.0.1:1 id 2 disabled check inter 2s rise 1 fall 2 observe layer4 error-limit 1 on-error mark-down

      "
    `);
  });

  it('gives each backend one retry per server line, so a request can pass every task that stopped at once', () => {
    const tasks = Array.from({ length: 8 }, (_, i) => task(`t${i}`, 31000 + i));
    const m = buildModel({ apps: [app('/web', [10000], EXTERNAL, tasks)] }, { groups: ['external'], bindAddr: '*' });
    const text = renderHaproxyConfig(m, OPTS);
    const servers = (text.match(/^ {2}server s\d+ /gm) ?? []).length;
    expect(servers).toBeGreaterThanOrEqual(8);
    expect(text).toContain(`backend web_10000\n  balance roundrobin\n  mode tcp\n  retries ${servers}\n`);
  });

  it('is deterministic: app and task order in the input do not matter', () => {
    const a = app('/a', [10001], EXTERNAL, [task('1', 31001), task('2', 31002)]);
    const b = app('/b', [10002], EXTERNAL, [task('3', 31003)]);
    const one = renderHaproxyConfig(buildModel({ apps: [a, b] }, { groups: ['external'], bindAddr: '*' }), OPTS);
    const two = renderHaproxyConfig(buildModel({ apps: [b, { ...a, tasks: [task('2', 31002), task('1', 31001)] }] }, { groups: ['external'], bindAddr: '*' }), OPTS);
    expect(two).toBe(one);
  });

  it('omits the HTTPS vhost frontend without certificates and the HTTP one when the port is 0', () => {
    const m = buildModel({ apps: [app('/w', [10000], { ...EXTERNAL, HAPROXY_0_VHOST: 'w.example.com' }, [])] }, { groups: ['external'], bindAddr: '*' });
    const text = renderHaproxyConfig(m, OPTS);
    expect(text).toContain('frontend marathon_http_in');
    expect(text).not.toContain('marathon_https_in');
    expect(renderHaproxyConfig(m, { ...OPTS, sslCerts: ['/etc/ssl/all.pem'] })).toContain('  bind *:443 ssl crt /etc/ssl/all.pem\n');
    expect(renderHaproxyConfig(m, { ...OPTS, httpPort: 0 })).not.toContain('marathon_http_in');
  });

  it('grows slots by half, at least minSlots', () => {
    expect([0, 3, 10, 11].map((n) => slotCount(n, 4))).toEqual([4, 5, 15, 17]);
  });
});
