import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { asciiJson, encodeRecord, RecordIoDecoder } from '../../../src/transport/recordio.js';

describe('RecordIO', () => {
  it('frames compact JSON with its byte length', () => {
    expect(encodeRecord({ type: 'HEARTBEAT' })).toBe('20\n{"type":"HEARTBEAT"}');
  });

  it('escapes non-ASCII so byte length equals string length', () => {
    const payload = asciiJson({ name: 'café ☃ 🚀' });
    expect(Buffer.byteLength(payload)).toBe(payload.length);
    expect(JSON.parse(payload)).toEqual({ name: 'café ☃ 🚀' });
  });

  it('decodes records split and joined at any byte boundary (property)', () => {
    const events = fc.array(fc.record({ type: fc.string(), n: fc.integer(), s: fc.string({ unit: "binary" }) }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(events, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), (evs, cuts) => {
        const wire = Buffer.from(evs.map((e) => encodeRecord(e)).join(''));
        const dec = new RecordIoDecoder();
        const out: unknown[] = [];
        let i = 0;
        let c = 0;
        while (i < wire.length) {
          const n = cuts[c++ % cuts.length] ?? 1;
          for (const p of dec.push(wire.subarray(i, i + n))) out.push(JSON.parse(p));
          i += n;
        }
        expect(out).toEqual(evs);
      }),
    );
  });

  it('rejects a malformed length prefix', () => {
    expect(() => new RecordIoDecoder().push(Buffer.from('12x\n{}'))).toThrow(/length prefix/);
  });
});
