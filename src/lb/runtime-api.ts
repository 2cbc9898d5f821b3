/**
 * HAProxy's runtime API over its admin (stats) socket: one connection per batch, commands joined with `;`
 * (HAProxy runs them in order and answers each), the answer read until the socket closes. A command HAProxy
 * refuses is reported by its text, so the caller can fall back to a reload.
 */
import { createConnection } from 'node:net';

/** Sends `commands` in one batch; resolves with HAProxy's whole answer. Rejects on socket errors or `timeoutMs`. */
export function runtimeCommand(socketPath: string, commands: readonly string[], timeoutMs = 5000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const sock = createConnection(socketPath);
    const parts: Buffer[] = [];
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`runtime API ${socketPath}: no answer within ${timeoutMs} ms`)));
    sock.on('connect', () => sock.end(`${commands.join(';')}\n`));
    sock.on('data', (d: Buffer) => parts.push(d));
    sock.on('error', reject);
    sock.on('close', (hadError) => {
      if (!hadError) resolve(Buffer.concat(parts).toString('utf8'));
    });
  });
}

/**
 * Lines of a runtime answer that report a failure. HAProxy answers `set server` with an empty line or a
 * message such as `IP changed from ...`/`no need to change the addr`; refusals name the problem.
 */
export function runtimeFailures(answer: string): string[] {
  return answer
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(No such|Unknown|Require|Invalid|invalid|Can't|can't|unknown|Permission denied)|not found|is not allowed|error/i.test(l) && !/no need to change/i.test(l));
}

/** The worker pid from `show info` (`Pid: 123`), or undefined. */
export function pidFromInfo(info: string): number | undefined {
  const m = /^Pid:\s*(\d+)/m.exec(info);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}
