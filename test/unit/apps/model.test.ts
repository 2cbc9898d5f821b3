import { describe, expect, it } from 'vitest';
import { AppSchema } from '../../../src/apps/api/app-schema.js';
import { ApiError } from '../../../src/apps/api/errors.js';
import { checkShape, parseJsonBody } from '../../../src/apps/model/decode.js';
import { normalizeApp } from '../../../src/apps/model/normalize.js';
import { appJson, isUpgrade } from '../../../src/apps/model/app.js';
import { canonicalId, hostnameForm, safeId } from '../../../src/apps/model/path-id.js';

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

const decode = (text: string) => normalizeApp(checkShape(AppSchema, parseJsonBody(text)));

describe('app model', () => {
  it('fills upstream defaults', () => {
    const a = decode('{"id":"web","cmd":"sleep 100"}');
    expect(a).toMatchObject({
      id: '/web', instances: 1, cpus: 1, mem: 128, disk: 0, gpus: 0, backoffSeconds: 1, backoffFactor: 1.15,
      maxLaunchDelaySeconds: 300, killSelection: 'YOUNGEST_FIRST', requirePorts: false,
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      portDefinitions: [{ port: 0, protocol: 'tcp', name: 'default' }],
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    });
    const json = appJson({ ...a, version: 'v' });
    expect(json['labels']).toEqual({});
    expect(json).not.toHaveProperty('args');
    expect(json).not.toHaveProperty('env');
    expect(json).not.toHaveProperty('healthChecks');
  });

  it('canonicalises ids and derives safe and hostname forms', () => {
    expect(canonicalId('prod//web/')).toBe('/prod/web');
    expect(canonicalId('../x', '/a/b')).toBe('/a/x');
    expect(safeId('/prod/web')).toBe('prod_web');
    expect(hostnameForm('/prod/web')).toBe('web.prod');
  });

  it('answers malformed JSON with 400 and a string details', () => {
    const e = errorOf(() => decode('{"id": '));
    expect(e.status).toBe(400);
    expect(e.body.message).toBe('Invalid JSON');
    expect(typeof e.body.details).toBe('string');
  });

  it('reports shape errors as 422 Invalid JSON at Marathon paths', () => {
    const e = errorOf(() => decode('{"id":"x","cmd":"a b","instances":"three","healthChecks":[{"portIndex":"z"}]}'));
    expect(e.status).toBe(422);
    expect(e.body).toEqual({
      message: 'Invalid JSON',
      details: [
        { path: '/instances', errors: ['error.expected.jsnumber'] },
        { path: '/healthChecks(0)/portIndex', errors: ['error.expected.jsnumber'] },
      ],
    });
    expect(errorOf(() => decode('{"cmd":"ab"}')).body).toEqual({ message: 'Invalid JSON', details: [{ path: '/id', errors: ['error.path.missing'] }] });
  });

  it.each([
    ['bad id', '{"id":"Bad_Id","cmd":"ab"}', '/id'],
    ['negative instances', '{"id":"x","cmd":"ab","instances":-1}', '/instances'],
    ['unknown constraint operator', '{"id":"x","cmd":"ab","constraints":[["hostname","IN","a"]]}', '/constraints(0)'],
    ['UNIQUE with value', '{"id":"x","cmd":"ab","constraints":[["hostname","UNIQUE","a"]]}', '/constraints(0)'],
    ['MAX_PER without integer', '{"id":"x","cmd":"ab","constraints":[["rack","MAX_PER","z"]]}', '/constraints(0)'],
    ['upgrade strategy out of range', '{"id":"x","cmd":"ab","upgradeStrategy":{"minimumHealthCapacity":1.2,"maximumOverCapacity":0}}', '/upgradeStrategy/minimumHealthCapacity'],
    ['neither cmd nor args', '{"id":"x"}', '/'],
    ['both cmd and args', '{"id":"x","cmd":"ab","args":["a"]}', '/'],
    ['duplicate port names', '{"id":"x","cmd":"ab","portDefinitions":[{"name":"a"},{"name":"a"}]}', '/portDefinitions'],
    ['health check index out of range', '{"id":"x","cmd":"ab","portDefinitions":[],"healthChecks":[{"protocol":"HTTP"}]}', '/healthChecks(0)'],
    ['backoffFactor below 1', '{"id":"x","cmd":"ab","backoffFactor":0.5}', '/backoffFactor'],
    ['reserved last segment', '{"id":"/a/tasks","cmd":"ab"}', '/id'],
  ])('rejects %s with 422 Object is not valid', (_name, body, path) => {
    const e = errorOf(() => decode(body));
    expect(e.status).toBe(422);
    expect(e.body.message).toBe('Object is not valid');
    expect((e.body.details as readonly { path: string }[]).map((d) => d.path)).toContain(path);
  });

  it('gives the upstream message for upgradeStrategy', () => {
    const e = errorOf(() => decode('{"id":"x","cmd":"ab","upgradeStrategy":{"minimumHealthCapacity":1.2,"maximumOverCapacity":0}}'));
    expect(e.body.details).toEqual([{ path: '/upgradeStrategy/minimumHealthCapacity', errors: ['got 1.2, expected between 0.0 and 1.0'] }]);
  });

  it('upper-cases constraint operators and fills health check defaults', () => {
    const a = decode('{"id":"x","cmd":"ab","constraints":[["hostname","unique"]],"healthChecks":[{"protocol":"TCP"}]}');
    expect(a.constraints).toEqual([['hostname', 'UNIQUE']]);
    expect(a.healthChecks[0]).toEqual({ protocol: 'TCP', gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15, ipProtocol: 'IPv4', portIndex: 0 });
  });

  it('keeps base values in a partial update and tells scale from upgrade', () => {
    const base = { ...decode('{"id":"x","cmd":"sleep 1","instances":2,"env":{"A":"1"}}'), version: 'v1' };
    const scaled = { ...normalizeApp({ instances: 5 }, { pathId: 'x', base }), version: 'v2' };
    expect(scaled.cmd).toBe('sleep 1');
    expect(scaled.env).toEqual({ A: '1' });
    expect(isUpgrade(base, scaled)).toBe(false);
    const changed = { ...normalizeApp({ cmd: 'sleep 2' }, { pathId: 'x', base }), version: 'v3' };
    expect(isUpgrade(base, changed)).toBe(true);
    const replaced = normalizeApp({ args: ['a'] }, { pathId: 'x', base });
    expect(replaced.cmd).toBeUndefined();
  });
});
