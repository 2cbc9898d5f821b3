/**
 * Client side of a subscription: POSTs a SUBSCRIBE, follows 307 redirects to the leader, and yields the
 * decoded records of the 200 stream. Reconnection policy belongs to the caller (agent, SDK).
 */
import { request, Agent as HttpAgent } from 'undici';
import { RecordIoDecoder } from './recordio.js';

export interface OpenStreamOptions {
  readonly url: string;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
  /** Headers of the 200 response are handed over before the first record, with the URL that answered (after redirects). */
  readonly onHeaders?: (headers: Record<string, string | string[] | undefined>, url: string) => void;
  readonly maxRedirects?: number;
}

export class StreamHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly location?: string,
  ) {
    super(`subscription refused: ${status} ${body}`);
    this.name = 'StreamHttpError';
  }
}

/** A dispatcher without idle body timeouts: event streams stay open for days. */
export const streamDispatcher = new HttpAgent({ bodyTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 1_000 });

/** Resolves a 307 Location (possibly protocol-relative `//host:port/path`) against the current URL. */
export function resolveLocation(current: string, location: string): string {
  if (location.startsWith('//')) return `${new URL(current).protocol}${location}`;
  return new URL(location, current).toString();
}

/** Opens the stream and yields each record's parsed JSON until the server ends it or the signal aborts. */
export async function* openEventStream(opts: OpenStreamOptions): AsyncGenerator<unknown, void, undefined> {
  let url = opts.url;
  for (let hop = 0; ; hop++) {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(opts.headers ?? {}) },
      body: JSON.stringify(opts.body),
      dispatcher: streamDispatcher,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (res.statusCode === 307 && hop < (opts.maxRedirects ?? 3)) {
      const loc = res.headers.location;
      await res.body.dump();
      if (typeof loc !== 'string') throw new StreamHttpError(307, 'redirect without Location');
      url = resolveLocation(url, loc);
      continue;
    }
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      const loc = res.headers.location;
      throw new StreamHttpError(res.statusCode, text, typeof loc === 'string' ? loc : undefined);
    }
    opts.onHeaders?.(res.headers, url);
    const decoder = new RecordIoDecoder();
    for await (const chunk of res.body) {
      for (const payload of decoder.push(chunk as Buffer)) yield JSON.parse(payload) as unknown;
    }
    return;
  }
}
