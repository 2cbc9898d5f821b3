/**
 * The HTTP side of `agora tasks|agents|frameworks|logs|events`: v1 operator calls (`POST /api/v1`, JSON)
 * to the master (`--master URL`, env AGORA_MASTER, default http://127.0.0.1:5050) and to agents (their URL
 * from the master's GET_AGENTS pid). A refused connection or a non-200 answer becomes a CliError with
 * exit code 1 naming the URL, so every command fails with one clear line on stderr.
 */
import { request } from 'undici';
import { callDispatcher } from '../transport/http-client.js';
import { errorMessage } from '../core/errors.js';
import { CliError, serviceBaseUrl } from './apps-client.js';

/** Exit code of every operator command failure (unreachable master, unknown task, API error). */
export const OPERATOR_EXIT_FAILURE = 1;

/** The master address: `--master`, else AGORA_MASTER, else http://127.0.0.1:5050. */
export function masterBaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? env['AGORA_MASTER'];
  return serviceBaseUrl(raw === undefined || raw.trim() === '' ? 'http://127.0.0.1:5050' : raw.trim());
}

/** `http://ip:port` of an agent from its `slave(1)@ip:port` pid (GET_AGENTS), else hostname and port. */
export function agentUrlOf(agent: { pid?: string; agent_info?: { hostname?: string; port?: number } }): string | undefined {
  const m = /@([^:]+):(\d+)$/.exec(agent.pid ?? '');
  if (m !== null) return `http://${m[1] ?? ''}:${m[2] ?? ''}`;
  const host = agent.agent_info?.hostname;
  return host === undefined ? undefined : `http://${host}:${agent.agent_info?.port ?? 5051}`;
}

/** A status and text body of an operator call that did not answer 200. */
export class OperatorCallError extends CliError {
  constructor(
    readonly url: string,
    readonly callType: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${callType} on ${url} answered ${status}${body.trim() === '' ? '' : `: ${body.trim()}`}`, OPERATOR_EXIT_FAILURE);
    this.name = 'OperatorCallError';
  }
}

/** What the commands need of a client: its base URL and one call (tests substitute fakes). */
export interface OperatorCaller {
  readonly base: string;
  call<T = Record<string, unknown>>(type: string, fields?: Record<string, unknown>): Promise<T>;
}

/** v1 operator calls against one daemon (`base` without a trailing slash). */
export class OperatorClient implements OperatorCaller {
  constructor(
    readonly base: string,
    private readonly what = 'the master',
    private readonly hint = 'set --master or AGORA_MASTER',
  ) {}

  /** The operator API URL. */
  get url(): string {
    return `${this.base}/api/v1`;
  }

  /** POSTs `{type, ...fields}`; the parsed Response (`{}` for an empty 200). */
  async call<T = Record<string, unknown>>(type: string, fields: Record<string, unknown> = {}): Promise<T> {
    let res;
    try {
      res = await request(this.url, {
        method: 'POST',
        dispatcher: callDispatcher,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ type, ...fields }),
      });
    } catch (e: unknown) {
      throw new CliError(`cannot reach ${this.what} at ${this.base} (${errorMessage(e)}); ${this.hint}`, OPERATOR_EXIT_FAILURE);
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new OperatorCallError(this.url, type, res.statusCode, text);
    if (text === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${type} on ${this.url} answered invalid JSON`, OPERATOR_EXIT_FAILURE);
    }
  }
}
