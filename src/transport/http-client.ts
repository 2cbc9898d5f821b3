/** Small helpers over undici for one-shot JSON calls between daemons. */
import { request, Agent as HttpAgent } from 'undici';

export const callDispatcher = new HttpAgent({ headersTimeout: 30_000, bodyTimeout: 30_000, connections: 16 });

export interface HttpResult {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<HttpResult> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    dispatcher: callDispatcher,
    ...(signal ? { signal } : {}),
  });
  return { status: res.statusCode, body: await res.body.text(), headers: res.headers };
}

export async function getJson(url: string, signal?: AbortSignal): Promise<HttpResult> {
  const res = await request(url, { method: 'GET', dispatcher: callDispatcher, ...(signal ? { signal } : {}) });
  return { status: res.statusCode, body: await res.body.text(), headers: res.headers };
}
