import { describe, expect, it } from 'vitest';
import { decode, DecodeError, parseAndDecode } from '../../../src/api/proto-json.js';
import { SchedulerCall } from '../../../src/api/mesos/scheduler.js';

describe('protobuf-JSON decoding (stout rules)', () => {
  it('treats null as unset and ignores unknown keys (mesos-framework style bodies)', () => {
    const call = decode(SchedulerCall, {
      framework_id: null,
      type: 'SUBSCRIBE',
      subscribe: { framework_info: { user: 'root', name: 'x', id: null, failover_timeout: 604800, capabilities: [], labels: null }, suppressed_roles: [] },
      accept: null,
      create_volume: { whatever: 1 },
    });
    expect(call.framework_id).toBeUndefined();
    expect(call.subscribe?.framework_info.failover_timeout).toBe(604800);
    expect(call).not.toHaveProperty('create_volume');
  });

  it('accepts numbers and booleans as strings and a single value for a repeated field', () => {
    const call = decode(SchedulerCall, {
      type: 'DECLINE',
      framework_id: { value: 'f' },
      decline: { offer_ids: { value: 'o1' }, filters: { refuse_seconds: '7.5' } },
    });
    expect(call.decline?.offer_ids).toEqual([{ value: 'o1' }]);
    expect(call.decline?.filters?.refuse_seconds).toBe(7.5);
  });

  it('drops an unknown enum name on an optional field', () => {
    expect(decode(SchedulerCall, { type: 'NOT_A_CALL' }).type).toBeUndefined();
  });

  it('rejects a number for an enum, a wrong type and bad base64', () => {
    expect(() => decode(SchedulerCall, { type: 3 })).toThrow(DecodeError);
    expect(() => decode(SchedulerCall, { type: 'KILL', kill: { task_id: { value: 7 } } })).toThrow(/kill.task_id.value/);
    expect(() =>
      decode(SchedulerCall, { type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: '!!!' } }),
    ).toThrow(/base64/);
  });

  it('rejects an array for a non-repeated field', () => {
    expect(() => decode(SchedulerCall, { type: 'KILL', kill: [{ task_id: { value: 't' } }] })).toThrow(/non-repeated/);
  });

  it('lists every missing required field', () => {
    expect(() => decode(SchedulerCall, { type: 'ACKNOWLEDGE', acknowledge: { task_id: { value: 't' } } })).toThrow(
      'Missing required fields: acknowledge.agent_id, acknowledge.uuid',
    );
  });

  it('reports JSON syntax errors and mapping errors like upstream', () => {
    expect(() => parseAndDecode(SchedulerCall, '{', 'Call')).toThrow(/^Failed to parse body into JSON/);
    expect(() => parseAndDecode(SchedulerCall, '[1]', 'Call')).toThrow(/^Failed to convert JSON into Call protobuf/);
  });
});
