import { decode, encode, type DecodedPacket } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { answerQuery, RCODE } from '../../../src/lb/dns/answer.js';
import { buildRecords, mangleLabel, parsePortRanges, taskHash } from '../../../src/lb/dns/records.js';

const STATE = {
  leader: 'master@10.0.0.1:5050',
  leader_info: { hostname: 'm1', port: 5050 },
  slaves: [{ id: 'abc-S1', hostname: 'node1' }, { id: 'abc-S2', hostname: 'node2' }],
  frameworks: [
    {
      name: 'marathon',
      tasks: [
        { id: 'web.1', name: 'web', slave_id: 'abc-S1', state: 'TASK_RUNNING', resources: { ports: '[31000-31000]' } },
        { id: 'web.2', name: 'web', slave_id: 'abc-S2', state: 'TASK_RUNNING', resources: { ports: '[31005-31006]' } },
        { id: 'web.3', name: 'web', slave_id: 'abc-S2', state: 'TASK_STAGING', resources: { ports: '[31009-31009]' } },
        { id: 'api.1', name: 'api.prod', slave_id: 'abc-S1', state: 'TASK_RUNNING', resources: {}, discovery: { name: 'api.prod' } },
      ],
    },
    { name: 'My.Prod_FW', tasks: [{ id: 'x', name: 'Apiserver.MyService', slave_id: 'abc-S1', state: 'TASK_RUNNING', resources: {} }] },
  ],
};
const IPS: Record<string, string> = { m1: '10.0.0.1', node1: '10.0.0.11', node2: '10.0.0.12' };
const records = buildRecords(STATE, 'Agora.', (h) => IPS[h]);

/** The response code (low 4 bits of the flags). */
function rcode(p: DecodedPacket): number {
  return (p.flags ?? 0) & 0xf;
}

function ask(name: string, type: 'A' | 'SRV' | 'TXT'): DecodedPacket {
  const q = encode({ type: 'query', id: 42, flags: 1 << 8, questions: [{ type, name }] });
  return decode(encode(answerQuery(decode(q), records, 30)));
}

describe('Mesos-DNS records', () => {
  it('mangles labels per RFC 1123 and hashes task ids', () => {
    expect(mangleLabel('-Web_App.v2!-')).toBe('web-app-v2');
    expect(mangleLabel('x'.repeat(80))).toHaveLength(63);
    expect(taskHash('web.1')).toMatch(/^[ybndrfg8ejkmcpqxot1uwisza345h769]{5}$/);
    expect(taskHash('web.1')).not.toBe(taskHash('web.2'));
    expect(parsePortRanges('[31000-31001, 31005-31005]')).toEqual([31000, 31001, 31005]);
  });

  it('has A and SRV records for running tasks only, and leader/master/slave names', () => {
    expect(records.a.get('web.marathon.agora')).toEqual(['10.0.0.11', '10.0.0.12']);
    const srv = records.srv.get('_web._tcp.marathon.agora') ?? [];
    expect(srv.map((s) => s.port).sort()).toEqual([31000, 31005, 31006]);
    expect(srv.every((s) => /^web-[a-z0-9]{5}-s[12]\.marathon\.slave\.agora$/.test(s.target))).toBe(true);
    expect(records.srv.get('_web._tcp.marathon.slave.agora')).toEqual(srv);
    expect(records.a.get('api-prod.marathon.agora')).toEqual(['10.0.0.11']);
    expect(records.srv.has('_api-prod._tcp.marathon.agora')).toBe(false); // DiscoveryInfo without ports
    expect(records.a.get('apiserver-myservice.my.prod-fw.agora')).toEqual(['10.0.0.11']);
    expect(records.a.get('leader.agora')).toEqual(['10.0.0.1']);
    expect(records.a.get('master.agora')).toEqual(['10.0.0.1']);
    expect(records.a.get('slave.agora')).toEqual(['10.0.0.11', '10.0.0.12']);
    expect(records.srv.get('_leader._tcp.agora')).toEqual([{ target: 'leader.agora', port: 5050 }]);
  });
});

describe('answerQuery', () => {
  it('answers A, and SRV with the targets as additionals; echoes id and RD; authoritative', () => {
    const a = ask('Web.Marathon.Agora', 'A');
    expect(a.id).toBe(42);
    expect(a.flag_aa).toBe(true);
    expect(a.flag_rd).toBe(true);
    expect(rcode(a)).toBe(RCODE.NOERROR);
    expect(a.answers?.map((x) => (x.type === 'A' ? [x.type, x.ttl, x.data] : []))).toEqual([['A', 30, '10.0.0.11'], ['A', 30, '10.0.0.12']]);
    const srv = ask('_web._tcp.marathon.agora', 'SRV');
    expect(srv.answers?.map((x) => (x.type === 'SRV' ? x.data.port : 0)).sort()).toEqual([31000, 31005, 31006]);
    expect(srv.additionals?.length).toBe(2);
  });

  it('NXDOMAIN for unknown names in the domain, empty NOERROR for other types, REFUSED outside', () => {
    expect(rcode(ask('nope.marathon.agora', 'A'))).toBe(RCODE.NXDOMAIN);
    const txt = ask('web.marathon.agora', 'TXT');
    expect([rcode(txt), txt.answers]).toEqual([RCODE.NOERROR, []]);
    expect(rcode(ask('example.com', 'A'))).toBe(RCODE.REFUSED);
    expect(RCODE.NXDOMAIN).toBe(3);
  });
});
