/**
 * The HTTP side of `agora app` / `agora deploy`: a tiny client of the `/v2` API of `agora apps` (or Marathon)
 * and the errors the commands print. Every non-2xx answer becomes an AppsApiError carrying the status and the
 * parsed body, so the caller can show upstream's `message` and 422 `details`; a refused connection becomes a
 * CliError naming the URL and the `--apps` / AGORA_APPS setting.
 */
import { request } from 'undici';
import { callDispatcher } from '../transport/http-client.js';
import { errorMessage } from '../core/errors.js';

/** Exit codes of the client commands. */
export const EXIT = { ok: 0, apiError: 1, usage: 2, unreachable: 3, timeout: 4 } as const;

/** An error with the exit code the command ends with. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'CliError';
  }
}

/** A non-2xx answer of the API. */
export class AppsApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${method} ${path} answered ${status}`);
    this.name = 'AppsApiError';
  }
}

/** The default API address: `--apps`, else AGORA_APPS, else http://127.0.0.1:8080. */
export function appsBaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return serviceBaseUrl(flag ?? env['AGORA_APPS'] ?? 'http://127.0.0.1:8080');
}

/** `host:port` or a URL, with a scheme and without trailing slashes. */
export function serviceBaseUrl(raw: string): string {
  const withScheme = /^https?:\/\//.test(raw) ? raw : `http://${raw}`;
  return withScheme.replace(/\/+$/, '');
}

/** `/web` and `web` both name the app `/web`; the path form used in URLs has a leading slash. */
export function normalizeAppId(id: string): string {
  const trimmed = id.trim().replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '/') throw new CliError('an app id is required', EXIT.usage);
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** Path of an app id with each segment URI-encoded. */
export function appPath(id: string): string {
  return normalizeAppId(id).split('/').map(encodeURIComponent).join('/');
}

export interface ApiAnswer<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Which daemon a client talks to, for the "cannot reach" message. */
export interface ServiceName {
  readonly name: string;
  readonly flag: string;
  readonly env: string;
}

const APPS_SERVICE: ServiceName = { name: 'agora apps', flag: '--apps', env: 'AGORA_APPS' };

/** One JSON HTTP API (the `/v2` API of agora apps by default); requests are JSON in, JSON out. */
export class AppsClient {
  constructor(
    readonly baseUrl: string,
    private readonly service: ServiceName = APPS_SERVICE,
  ) {}

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    let res;
    try {
      res = await request(`${this.baseUrl}${path}`, {
        method: method as 'GET',
        dispatcher: callDispatcher,
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
    } catch (e: unknown) {
      throw new CliError(`cannot reach ${this.service.name} at ${this.baseUrl} (${errorMessage(e)}); set ${this.service.flag} or ${this.service.env}`, EXIT.unreachable);
    }
    const text = await res.body.text();
    let parsed: unknown = text;
    if (text !== '') {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parsed = text;
      }
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw new AppsApiError(method, path, res.statusCode, parsed);
    return { status: res.statusCode, body: parsed as T, headers: res.headers };
  }

  async get<T = unknown>(path: string): Promise<T> {
    return (await this.call<T>('GET', path)).body;
  }
}

function detailLines(details: unknown): string[] {
  if (typeof details === 'string') return [`  ${details}`];
  if (!Array.isArray(details)) return [];
  const out: string[] = [];
  for (const d of details as unknown[]) {
    if (typeof d !== 'object' || d === null) continue;
    const rec = d as { path?: unknown; errors?: unknown };
    const path = typeof rec.path === 'string' ? rec.path : '/';
    const errors = Array.isArray(rec.errors) ? rec.errors.map(String) : [];
    for (const e of errors.length > 0 ? errors : ['invalid']) out.push(`  ${path}: ${e}`);
  }
  return out;
}

/** The lines printed for an API error: status, upstream message, each 422 detail, conflicting deployments. */
export function formatApiError(e: AppsApiError): string[] {
  const body = e.body;
  const lines: string[] = [];
  if (typeof body === 'object' && body !== null) {
    const rec = body as { message?: unknown; details?: unknown; deployments?: unknown };
    const message = typeof rec.message === 'string' ? rec.message : JSON.stringify(body);
    lines.push(`error: ${message} (HTTP ${e.status})`);
    lines.push(...detailLines(rec.details));
    if (Array.isArray(rec.deployments) && rec.deployments.length > 0) {
      const ids = (rec.deployments as unknown[]).map((d) => (typeof d === 'object' && d !== null ? String((d as { id?: unknown }).id) : String(d)));
      lines.push(`  blocked by deployment(s): ${ids.join(', ')} (use --force to override, or agora deploy cancel <id>)`);
    }
  } else {
    const text = typeof body === 'string' && body.trim() !== '' ? body.trim() : `${e.method} ${e.path} failed`;
    lines.push(`error: ${text} (HTTP ${e.status})`);
  }
  return lines;
}

/** The exit code and stderr lines for any error thrown by a client command. */
export function describeFailure(e: unknown): { code: number; lines: string[] } {
  if (e instanceof AppsApiError) return { code: EXIT.apiError, lines: formatApiError(e) };
  if (e instanceof CliError) return { code: e.exitCode, lines: [`error: ${e.message}`] };
  return { code: EXIT.apiError, lines: [`error: ${errorMessage(e)}`] };
}

/** Where a command writes; tests pass an array collector. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** True when stdout is a terminal (live displays redraw in place). */
  readonly tty: boolean;
}

export const processOutput: Output = {
  out: (line) => {
    process.stdout.write(`${line}\n`);
  },
  err: (line) => {
    process.stderr.write(`${line}\n`);
  },
  tty: process.stdout.isTTY === true,
};

let stdoutGuarded = false;

/** `agora app list | head`: a closed stdout ends the command quietly instead of an EPIPE stack trace. */
function quietOnClosedStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

/**
 * Runs a command body and sets process.exitCode: 0, or the failure's code after printing it to stderr.
 * Commands never call process.exit themselves, so output is flushed before the process ends.
 */
export async function runClientCommand(body: () => Promise<number | void>, output: Output = processOutput): Promise<void> {
  if (output === processOutput) quietOnClosedStdout();
  try {
    const code = await body();
    process.exitCode = typeof code === 'number' ? code : EXIT.ok;
  } catch (e: unknown) {
    const f = describeFailure(e);
    for (const line of f.lines) output.err(line);
    process.exitCode = f.code;
  }
}
