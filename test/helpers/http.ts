/** Raw HTTP over node:http for wire-level assertions: status, headers and body exactly as sent. */
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RawRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly timeoutMs?: number;
  /** Connection pool; default a fresh connection per request. */
  readonly agent?: Agent;
}

/** One request on a fresh connection; never follows redirects. */
export function rawRequest(url: string, opts: RawRequestOptions = {}): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise<RawResponse>((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: opts.agent ?? false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** POST a JSON value (or raw text) with `Content-Type: application/json` unless overridden. */
export function postJson(url: string, body: unknown, headers: Readonly<Record<string, string>> = {}, agent?: Agent): Promise<RawResponse> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const opts: RawRequestOptions = { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: text };
  return rawRequest(url, agent === undefined ? opts : { ...opts, agent });
}

/** GET and parse JSON; throws with the status and body when not 200. */
export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await rawRequest(url);
  if (res.status !== 200) throw new Error(`GET ${url} → ${res.status}: ${res.body.slice(0, 500)}`);
  return JSON.parse(res.body) as T;
}
