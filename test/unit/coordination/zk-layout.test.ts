import { describe, expect, it } from 'vitest';
import { candidates, masterHostPort, parseMasterInfo, sortedJson } from '../../../src/coordination/zk/zk-group.js';
import { parseZkUrl } from '../../../src/coordination/zk/zk-url.js';
import { redirectLocation } from '../../../src/master/ha.js';

describe('zk:// URLs', () => {
  it('splits hosts, path and credentials', () => {
    expect(parseZkUrl('zk://h1:2181,h2:2181/agora/')).toEqual({ connectString: 'h1:2181,h2:2181', path: '/agora' });
    expect(parseZkUrl('zk://u:p@h1:2181/a/b')).toEqual({ connectString: 'h1:2181', path: '/a/b', auth: { user: 'u', password: 'p' } });
  });

  it('rejects a URL without a path or with a bad host list', () => {
    expect(() => parseZkUrl('zk://h1:2181')).toThrow(/needs a path/);
    expect(() => parseZkUrl('zk://h1/agora')).toThrow(/host:port/);
    expect(() => parseZkUrl('http://h1:2181/agora')).toThrow(/zk:\/\//);
  });
});

describe('upstream group layout', () => {
  it('orders candidates by sequence and ignores non-numeric children', () => {
    const names = candidates(['json.info_0000000012', 'log_replicas', 'store', 'info_0000000003', '0000000007']).map((c) => c.name);
    expect(names).toEqual(['info_0000000003', '0000000007', 'json.info_0000000012']);
  });

  it('reads json.info_ and legacy pid nodes, not binary info_ nodes', () => {
    const [json, legacy, binary] = candidates(['json.info_1', '2', 'info_3']);
    if (json === undefined || legacy === undefined || binary === undefined) throw new Error('three candidates expected');
    const info = { id: 'x', ip: 1, port: 5050, hostname: 'm1', address: { ip: '10.0.0.1', port: 5050 } };
    expect(parseMasterInfo(json, Buffer.from(JSON.stringify(info)))).toEqual(info);
    expect(parseMasterInfo(legacy, Buffer.from('master@10.0.0.2:5051'))?.address).toEqual({ hostname: '10.0.0.2', ip: '10.0.0.2', port: 5051 });
    expect(parseMasterInfo(binary, Buffer.from([8, 1, 2]))).toBeUndefined();
    expect(masterHostPort(info)).toBe('m1:5050');
  });

  it('renders MasterInfo JSON with keys sorted at every level', () => {
    expect(sortedJson({ port: 1, address: { port: 1, ip: 'a' }, id: 'x' })).toBe('{"address":{"ip":"a","port":1},"id":"x","port":1}');
  });

  it('builds protocol-relative redirects to the leader', () => {
    const leader = { id: 'x', ip: 0, port: 5052, hostname: 'm2.example', address: { hostname: 'm2.example', ip: '10.0.0.2', port: 5052 } };
    expect(redirectLocation(leader, '/api/v1/scheduler?a=1')).toBe('//m2.example:5052/api/v1/scheduler?a=1');
    expect(redirectLocation(leader, '/redirect', false)).toBe('//m2.example:5052');
  });
});
