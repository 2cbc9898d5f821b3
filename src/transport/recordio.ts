/**
 * RecordIO framing (`<decimal byte length>\n<payload>`) for every event stream. Payloads are compact JSON
 * with non-ASCII escaped as \uXXXX, so byte length equals JS string length: the mesos-framework client
 * compares the prefix with string length and breaks otherwise (spec §1.3, §7).
 */

/** JSON.stringify, then escape everything outside printable ASCII. */
export function asciiJson(value: unknown): string {
   
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One record, ready to be written as one HTTP chunk. */
export function encodeRecord(value: unknown): string {
  const payload = asciiJson(value);
  return `${Buffer.byteLength(payload)}\n${payload}`;
}

/** Incremental decoder: feed bytes in any chunking, get whole records out. */
export class RecordIoDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private expected: number | undefined;

  constructor(private readonly maxRecordBytes = 64 * 1024 * 1024) {}

  /** Returns the payloads completed by this chunk, in order. Throws on a malformed length prefix. */
  push(chunk: Uint8Array): string[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const out: string[] = [];
    for (;;) {
      if (this.expected === undefined) {
        const nl = this.buffer.indexOf(0x0a);
        if (nl === -1) {
          if (this.buffer.length > 20) throw new Error('RecordIO: length prefix too long');
          break;
        }
        const text = this.buffer.subarray(0, nl).toString('ascii');
        if (!/^\d+$/.test(text)) throw new Error(`RecordIO: bad length prefix '${text}'`);
        const n = Number(text);
        if (n > this.maxRecordBytes) throw new Error(`RecordIO: record of ${n} bytes exceeds the limit`);
        this.expected = n;
        this.buffer = this.buffer.subarray(nl + 1);
      }
      if (this.buffer.length < this.expected) break;
      out.push(this.buffer.subarray(0, this.expected).toString('utf8'));
      this.buffer = this.buffer.subarray(this.expected);
      this.expected = undefined;
    }
    return out;
  }
}
