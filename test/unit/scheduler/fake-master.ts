// A tiny scheduler endpoint for SDK tests: records SUBSCRIBEs and calls, and lets a test script each stream.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { encodeRecord } from '../../../src/transport/recordio.js';

export interface RecordedCall {
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
  readonly path: string;
}

export type SubscribeScript = (res: ServerResponse, body: Record<string, unknown>, n: number) => void;

export class FakeMaster {
  readonly subscribes: RecordedCall[] = [];
  readonly calls: RecordedCall[] = [];
  readonly streams: ServerResponse[] = [];
  readonly streamIds: string[] = [];
  callStatus = 202;
  callBody = '';
  heartbeatSeconds = 15;
  frameworkId = 'fake-master-0000';
  /** Answers the n-th SUBSCRIBE (0-based); default: SUBSCRIBED then HEARTBEAT, stream left open. */
  script: SubscribeScript = (res) => this.accept(res);
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** 200 + Mesos-Stream-Id + SUBSCRIBED + HEARTBEAT. */
  accept(res: ServerResponse): string {
    const sid = randomUUID();
    this.streamIds.push(sid);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Mesos-Stream-Id': sid });
    res.write(
      encodeRecord({
        type: 'SUBSCRIBED',
        subscribed: {
          framework_id: { value: this.frameworkId },
          heartbeat_interval_seconds: this.heartbeatSeconds,
          master_info: { id: 'm', ip: 0, port: this.port },
        },
      }),
    );
    res.write(encodeRecord({ type: 'HEARTBEAT' }));
    return sid;
  }

  send(event: unknown, stream = this.streams[this.streams.length - 1]): void {
    stream?.write(encodeRecord(event));
  }

  async stop(): Promise<void> {
    for (const s of this.streams) s.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse, text: string): void {
    const body = JSON.parse(text) as Record<string, unknown>;
    const rec = { headers: req.headers, body, path: req.url ?? '' };
    if (body['type'] === 'SUBSCRIBE') {
      this.subscribes.push(rec);
      this.streams.push(res);
      this.script(res, body, this.subscribes.length - 1);
      return;
    }
    this.calls.push(rec);
    res.writeHead(this.callStatus, { 'Content-Type': 'text/plain' });
    res.end(this.callBody);
  }
}

/** Polls until cond holds or the deadline passes (tests only; no fixed sleeps). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
