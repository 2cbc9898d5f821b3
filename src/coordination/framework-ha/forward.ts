/**
 * Forwards one HTTP request to another node, streaming both ways (spec marathon-api §1.6): the body is piped
 * up as it arrives and the response piped down chunk by chunk (so an SSE stream passes through as it is
 * produced). Adds `X-Forwarded-For` and appends this node to the loop-detection header.
 *
 * Guarantees: exactly one of these happens per call — the upstream response is relayed; 502 when the target
 * refuses or fails before answering; 504 when it sends no response head within `timeoutMs`. When the client
 * goes away the upstream request is aborted; when the upstream stream breaks mid-body the client's
 * connection is destroyed (so a client following a stream notices and reconnects).
 */
import { request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the ones node sets itself. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

export interface ForwardOptions {
  /** `http://host:port` of the target. */
  readonly target: string;
  /** Loop-detection header (e.g. `X-Marathon-Via`) and this node's value in it. */
  readonly viaHeader: string;
  readonly self: string;
  /** Longest wait for the response head (upstream `--leader_proxy_read_timeout_ms`, 10 s). */
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Extra response headers (e.g. `X-Marathon-Leader`) set when the target does not set them. */
  readonly responseHeaders?: Readonly<Record<string, string>>;
}

/** True when the request already passed through `self` (a proxying loop). */
export function isLoop(headers: IncomingHttpHeaders, viaHeader: string, self: string): boolean {
  const v = headers[viaHeader.toLowerCase()];
  const all = (Array.isArray(v) ? v.join(',') : (v ?? '')).split(',').map((s) => s.trim());
  return all.includes(self);
}

function copyHeaders(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
}

/** Plain-text error answer (used for loop, refused and timeout). */
export function answer(res: ServerResponse, status: number, text: string, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** Relays `req` to `o.target`; resolves when the exchange is over (either way). */
export function forward(req: IncomingMessage, res: ServerResponse, o: ForwardOptions): Promise<void> {
  return new Promise((resolve) => {
    const target = new URL(o.target);
    const headers = copyHeaders(req.headers);
    const via = req.headers[o.viaHeader.toLowerCase()];
    headers[o.viaHeader.toLowerCase()] = [...(Array.isArray(via) ? via : via !== undefined ? [via] : []), o.self].join(', ');
    const xff = req.headers['x-forwarded-for'];
    const peer = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = typeof xff === 'string' && xff !== '' ? `${xff}, ${peer}` : peer;
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      resolve();
    };
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers });
    const timer = o.clock.after(o.timeoutMs, () => {
      up.destroy();
      answer(res, 504, `Timed out while waiting for the leader at ${target.host}`, o.responseHeaders);
      done();
    });
    up.on('response', (ur: IncomingMessage) => {
      timer.cancel();
      const out = copyHeaders(ur.headers);
      for (const [k, v] of Object.entries(o.responseHeaders ?? {})) if (out[k.toLowerCase()] === undefined) out[k] = v;
      res.writeHead(ur.statusCode ?? 502, out);
      // Send the head now: an SSE client must see it before the first event.
      res.flushHeaders();
      ur.pipe(res);
      // An upstream that ends before its body is complete (the leader died or stepped down): cut the client too.
      ur.on('close', () => {
        if (!ur.complete) res.destroy();
        done();
      });
    });
    up.on('error', (e: Error) => {
      answer(res, 502, `Failed to proxy to the leader at ${target.host}: ${e.message}`, o.responseHeaders);
      done();
    });
    // The client left: stop the upstream exchange (and the leader's stream for it).
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
      done();
    });
    req.pipe(up);
  });
}
