/**
 * HTTP for simulated agents. Each agent's SUBSCRIBE stream runs on its own undici dispatcher (its own TCP
 * connection, as a real agent), while the short calls (PONG, STATUS_UPDATE) of the whole fleet share one
 * bounded pool: 10k agents × 2 sockets would exceed the per-process file limit, and a real master sees
 * one connection per agent for the stream either way.
 */
import { Agent as HttpAgent, request, type Dispatcher } from 'undici';
import { RecordIoDecoder } from '../transport/recordio.js';
import { resolveLocation, StreamHttpError } from '../transport/stream-client.js';

/** A dispatcher for one agent's stream: one connection per origin, no body timeout (streams live for days). */
export function streamDispatcherForAgent(): HttpAgent {
  return new HttpAgent({ connections: 1, bodyTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 1_000 });
}

/** The fleet's shared pool for short calls. */
export function callDispatcherForFleet(connections: number): HttpAgent {
  return new HttpAgent({ connections, headersTimeout: 30_000, bodyTimeout: 30_000, keepAliveTimeout: 4_000 });
}

export interface SimStreamOptions {
  readonly url: string;
  readonly body: unknown;
  readonly dispatcher: Dispatcher;
  readonly signal: AbortSignal;
  /** Called with the 200 answer's headers and the URL that answered (after 307 hops). */
  readonly onHeaders: (headers: Record<string, string | string[] | undefined>, url: string) => void;
}

/** POSTs the SUBSCRIBE (following up to 3 redirects) and yields each decoded record of the 200 stream. */
export async function* openSimStream(opts: SimStreamOptions): AsyncGenerator<unknown, void, undefined> {
  let url = opts.url;
  for (let hop = 0; ; hop++) {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(opts.body),
      dispatcher: opts.dispatcher,
      signal: opts.signal,
    });
    const loc = res.headers.location;
    if (res.statusCode === 307 && hop < 3 && typeof loc === 'string') {
      await res.body.dump();
      url = resolveLocation(url, loc);
      continue;
    }
    if (res.statusCode !== 200) throw new StreamHttpError(res.statusCode, await res.body.text(), typeof loc === 'string' ? loc : undefined);
    opts.onHeaders(res.headers, url);
    const decoder = new RecordIoDecoder();
    for await (const chunk of res.body) {
      for (const payload of decoder.push(chunk as Buffer)) yield JSON.parse(payload) as unknown;
    }
    return;
  }
}

/** POSTs one call; resolves with the status code and body text (destroying the dispatcher aborts it). */
export async function postCall(url: string, body: unknown, headers: Record<string, string>, dispatcher: Dispatcher): Promise<{ status: number; body: string }> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    dispatcher,
  });
  return { status: res.statusCode, body: await res.body.text() };
}
