import { describe, expect, it } from 'vitest';
import { fromWire, Resources, type WireResource } from '../../../src/core/resources.js';
import { applyConversion, convert, volumeKey, type ConversionContext } from '../../../src/master/offer-operations.js';

const cpus = (v: number, extra: Partial<WireResource> = {}): WireResource => ({ name: 'cpus', type: 'SCALAR', scalar: { value: v }, ...extra });
const disk = (v: number, extra: Partial<WireResource> = {}): WireResource => ({ name: 'disk', type: 'SCALAR', scalar: { value: v }, ...extra });
const dyn = (role: string, principal?: string): Partial<WireResource> => ({ reservations: [{ type: 'DYNAMIC', role, ...(principal !== undefined ? { principal } : {}) }] });
const vol = (id: string, path = 'data'): unknown => ({ persistence: { id, principal: 'p' }, volume: { container_path: path, mode: 'RW' } });

const agentTotal = fromWire([cpus(4), disk(1000)]);
const ctx = (extra: Partial<ConversionContext> = {}): ConversionContext => ({ agentTotal, volumesInUse: new Set(), ...extra });

function ok(v: ReturnType<typeof convert>): { consumed: Resources; produced: Resources } {
  if (!v.ok) throw new Error(`expected ok, got ${v.message}`);
  return v.conversion;
}
function err(v: ReturnType<typeof convert>): string {
  if (v.ok) throw new Error('expected an error');
  return v.message;
}

describe('RESERVE', () => {
  it('consumes unreserved and produces the reservation (both formats)', () => {
    const c = ok(convert('RESERVE', [cpus(1, dyn('dev', 'p'))], ctx({ principal: 'p', allocationRole: 'dev' })));
    expect(c.consumed.equals(fromWire([cpus(1)]))).toBe(true);
    expect(c.produced.reserved('dev').scalar('cpus')).toBe(1);
    const pre = ok(convert('RESERVE', [cpus(1, { role: 'dev', reservation: { principal: 'p' } })], ctx({ principal: 'p', allocationRole: 'dev' })));
    expect(pre.produced.equals(c.produced)).toBe(true);
  });
  it('rejects unreserved, static, "*", another role and a wrong principal', () => {
    expect(err(convert('RESERVE', [cpus(1)], ctx()))).toMatch(/must be reserved/);
    expect(err(convert('RESERVE', [cpus(1, { reservations: [{ type: 'STATIC', role: 'dev' }] })], ctx()))).toMatch(/dynamic/);
    expect(err(convert('RESERVE', [cpus(1, dyn('*'))], ctx()))).toMatch(/'\*'/);
    expect(err(convert('RESERVE', [cpus(1, dyn('ops', 'p'))], ctx({ principal: 'p', allocationRole: 'dev' })))).toMatch(/allocated to role 'dev'/);
    expect(err(convert('RESERVE', [cpus(1, dyn('dev', 'q'))], ctx({ principal: 'p', allocationRole: 'dev' })))).toMatch(/principal 'p'/);
    expect(err(convert('RESERVE', [], ctx()))).toMatch(/no resources/);
  });
  it('re-reserves from source with the same quantities', () => {
    const c = ok(convert('RESERVE', [cpus(1, dyn('ops'))], ctx(), [cpus(1, dyn('dev'))]));
    expect(c.consumed.reserved('dev').scalar('cpus')).toBe(1);
    expect(c.produced.reserved('ops').scalar('cpus')).toBe(1);
    expect(err(convert('RESERVE', [cpus(2, dyn('ops'))], ctx(), [cpus(1, dyn('dev'))]))).toMatch(/same quantities/);
  });
  it('allows a descendant of the allocation role', () => {
    ok(convert('RESERVE', [cpus(1, dyn('dev/web'))], ctx({ allocationRole: 'dev' })));
  });
});

describe('UNRESERVE', () => {
  it('is the inverse of RESERVE', () => {
    const r = ok(convert('RESERVE', [cpus(2, dyn('dev'))], ctx()));
    const u = ok(convert('UNRESERVE', [cpus(2, dyn('dev'))], ctx()));
    const after = applyConversion(agentTotal, r);
    expect(after?.reserved('dev').scalar('cpus')).toBe(2);
    const back = after === undefined ? undefined : applyConversion(after, u);
    expect(back?.equals(agentTotal)).toBe(true);
  });
  it('rejects static reservations and persistent volumes', () => {
    expect(err(convert('UNRESERVE', [cpus(1, { role: 'dev' })], ctx()))).toMatch(/not dynamically reserved/);
    expect(err(convert('UNRESERVE', [disk(10, { ...dyn('dev'), disk: vol('v1') })], ctx()))).toMatch(/destroy it first/);
  });
});

describe('CREATE and DESTROY', () => {
  const reservedTotal = fromWire([cpus(4), disk(1000, dyn('dev'))]);
  it('turns reserved disk into a volume and back', () => {
    const c = ok(convert('CREATE', [disk(100, { ...dyn('dev'), disk: vol('v1') })], ctx({ agentTotal: reservedTotal, principal: 'p' })));
    const withVol = applyConversion(reservedTotal, c);
    expect(withVol?.reserved('dev').scalar('disk')).toBe(1000);
    expect(withVol?.entries.some((e) => e.disk !== undefined)).toBe(true);
    const d = ok(convert('DESTROY', [disk(100, { ...dyn('dev'), disk: vol('v1') })], ctx({ agentTotal: withVol ?? reservedTotal })));
    const back = withVol === undefined ? undefined : applyConversion(withVol, d);
    expect(back?.equals(reservedTotal)).toBe(true);
  });
  it('rejects unreserved disk, missing ids or paths, duplicate ids and a wrong principal', () => {
    expect(err(convert('CREATE', [disk(10, { disk: vol('v1') })], ctx()))).toMatch(/unreserved/);
    expect(err(convert('CREATE', [disk(10, dyn('dev'))], ctx()))).toMatch(/persistence.id/);
    expect(err(convert('CREATE', [disk(10, { ...dyn('dev'), disk: { persistence: { id: 'v' } } })], ctx()))).toMatch(/container_path/);
    const existing = fromWire([disk(10, { ...dyn('dev'), disk: vol('v1') })]);
    expect(err(convert('CREATE', [disk(10, { ...dyn('dev'), disk: vol('v1') })], ctx({ agentTotal: existing })))).toMatch(/already exists/);
    expect(err(convert('CREATE', [disk(10, { ...dyn('dev'), disk: vol('v2') }), disk(5, { ...dyn('dev'), disk: vol('v2', 'b') })], ctx()))).toMatch(/already exists/);
    expect(err(convert('CREATE', [disk(10, { ...dyn('dev'), disk: vol('v3') })], ctx({ principal: 'other' })))).toMatch(/denied/);
    expect(err(convert('CREATE', [disk(10, { ...dyn('dev'), disk: vol('../x') })], ctx()))).toMatch(/plain directory name/);
  });
  it('refuses to destroy a volume in use', () => {
    const v = [disk(10, { ...dyn('dev'), disk: vol('v1') })];
    expect(err(convert('DESTROY', v, ctx({ volumesInUse: new Set([volumeKey('dev', 'v1')]) })))).toMatch(/in use/);
    expect(err(convert('DESTROY', [disk(10, dyn('dev'))], ctx()))).toMatch(/persistence.id/);
  });
});

describe('applyConversion', () => {
  it('fails when the bag lacks what is consumed, and keeps allocation roles', () => {
    const r = ok(convert('RESERVE', [cpus(8, dyn('dev'))], ctx()));
    expect(applyConversion(agentTotal, r)).toBeUndefined();
    const offered = fromWire([cpus(4)]).allocate('dev');
    const small = ok(convert('RESERVE', [cpus(1, dyn('dev'))], ctx()));
    const out = applyConversion(offered, small, 'dev');
    expect(out?.entries.every((e) => e.allocationRole === 'dev')).toBe(true);
    expect(out?.reserved('dev').scalar('cpus')).toBe(1);
    expect(out?.unreserved().scalar('cpus')).toBe(3);
    expect(applyConversion(Resources.EMPTY, small, 'dev')).toBeUndefined();
  });
});
