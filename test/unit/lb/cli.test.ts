import { describe, expect, it } from 'vitest';
import { lbCommand, lbOptions } from '../../../src/cli/lb.js';
import { findExecutable } from '../../../src/lb/index.js';

describe('agora lb options', () => {
  it('parses flags with marathon-lb defaults (group external, vhost ports 80/443)', async () => {
    let got: Parameters<typeof lbOptions>[0] | undefined;
    await lbCommand(async (o) => {
      got = o;
    }).parseAsync(['--apps', 'http://10.0.0.1:8080/', '--group', 'a,b', '--group', 'c', '--http-port', '8080', '--proxy', 'builtin'], { from: 'user' });
    if (got === undefined) throw new Error('action not called');
    const o = lbOptions(got);
    expect(o).toMatchObject({ appsUrl: 'http://10.0.0.1:8080', groups: ['a', 'b', 'c'], httpPort: 8080, httpsPort: 443, proxy: 'builtin', coalesceMs: 200, resyncIntervalMs: 60_000, minSlots: 10, bind: '*' });
    let defaults: Parameters<typeof lbOptions>[0] | undefined;
    await lbCommand(async (x) => {
      defaults = x;
    }).parseAsync([], { from: 'user' });
    if (defaults === undefined) throw new Error('action not called');
    expect(lbOptions(defaults).groups).toEqual(['external']);
  });

  it('refuses bad values', () => {
    const base = { apps: 'http://x', group: [], bind: '*', port: '0', statsPort: '0', httpPort: '80', httpsPort: '443', proxy: 'auto', haproxyBin: 'haproxy', coalesce: '200ms', resyncInterval: '60secs', minSlots: '10' };
    expect(() => lbOptions({ ...base, proxy: 'nginx' })).toThrow('--proxy must be auto, haproxy or builtin');
    expect(() => lbOptions({ ...base, apps: 'ftp://x/marathon' })).toThrow('--apps must be an http(s) URL');
    // The zk:// URL of an HA apps group is taken (its leader is followed; ADR 0043).
    expect(lbOptions({ ...base, apps: 'zk://h:2181/apps/' }).appsUrl).toBe('zk://h:2181/apps');
    expect(() => lbOptions({ ...base, httpPort: '99999' })).toThrow('--http-port expects a port number');
  });

  it('finds executables in PATH or by path', () => {
    expect(findExecutable('sh', '/nonexistent:/bin:/usr/bin')).toMatch(/\/sh$/);
    expect(findExecutable('no-such-haproxy-binary', '/bin:/usr/bin')).toBeUndefined();
    expect(findExecutable('/bin/sh')).toBe('/bin/sh');
  });
});
