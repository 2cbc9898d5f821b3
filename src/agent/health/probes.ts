/**
 * The real probes (the Prober used by the agent). Upstream's executors shell out to `curl` and
 * `mesos-tcp-connect`; we do the same work in-process:
 * - COMMAND: a child process in the task's sandbox with the task's environment (plus the check command's
 *   own variables), in its own process group so that an abort (timeout, stop) kills all of it.
 * - HTTP: GET `<scheme>://127.0.0.1:<port><path>`, following redirects like `curl -L`, TLS certificates
 *   not verified like `curl -k`; the outcome is the final status code.
 * - TCP: a connect to 127.0.0.1:<port>; refused/reset = not succeeded.
 * Each probe settles promptly after its AbortSignal fires.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { errorMessage } from '../../core/errors.js';
import type { CommandInfoJson } from '../../api/mesos/common.js';
import type { ProbeContext, Prober } from './runner.js';
import type { ProbeOutcome } from './state.js';

const MAX_REDIRECTS = 10;

/** The agent's prober: dispatches on the probe kind. */
export const systemProber: Prober = (probe, ctx, signal) => {
  switch (probe.kind) {
    case 'command':
      return commandProbe(probe.command, ctx, signal);
    case 'http':
      return httpProbe(`${probe.scheme}://${probe.host.includes(':') ? `[${probe.host}]` : probe.host}:${probe.port}${probe.path}`, signal);
    case 'tcp':
      return tcpProbe(probe.host, probe.port, signal);
  }
};

/** Environment of a command probe: the task's, then the check command's own VALUE variables. */
export function probeEnvironment(base: Readonly<Record<string, string>>, command: CommandInfoJson): Record<string, string> {
  const env = { ...base };
  for (const v of command.environment?.variables ?? []) if (v.type !== 'SECRET') env[v.name] = v.value ?? '';
  return env;
}

/** Runs a command (shell or exec form) to completion; exit code or signal. */
export function commandProbe(command: CommandInfoJson, ctx: ProbeContext, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ kind: 'error', message: 'aborted' });
      return;
    }
    const shell = command.shell !== false;
    const value = command.value ?? '';
    const args = command.arguments ?? [];
    let child: ReturnType<typeof spawn>;
    try {
      child = shell
        ? spawn('/bin/sh', ['-c', value], { cwd: ctx.cwd, env: probeEnvironment(ctx.env, command), detached: true, stdio: 'ignore' })
        : spawn(value, args.slice(1), { cwd: ctx.cwd, env: probeEnvironment(ctx.env, command), detached: true, stdio: 'ignore', argv0: args[0] ?? value });
    } catch (e: unknown) {
      resolve({ kind: 'error', message: `Failed to create subprocess: ${errorMessage(e)}` });
      return;
    }
    const killGroup = (): void => {
      const pid = child.pid;
      if (pid === undefined) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const onAbort = (): void => killGroup();
    signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      resolve({ kind: 'error', message: `Failed to create subprocess: ${e.message}` });
    });
    child.once('exit', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      if (code !== null) resolve({ kind: 'command', exitCode: code });
      else resolve({ kind: 'command', signal: sig ?? 'unknown' });
    });
  });
}

/** GET with redirects followed; the final status code, or an error when no response arrived. */
export async function httpProbe(url: string, signal: AbortSignal): Promise<ProbeOutcome> {
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    let res: IncomingMessage;
    try {
      res = await get(target, signal);
    } catch (e: unknown) {
      return { kind: 'error', message: `HTTP request to ${target.href} failed: ${errorMessage(e)}` };
    }
    res.resume();
    const code = res.statusCode ?? 0;
    const location = res.headers.location;
    if (code >= 300 && code < 400 && location !== undefined && hop < MAX_REDIRECTS) {
      target = new URL(location, target);
      continue;
    }
    return { kind: 'http', statusCode: code };
  }
}

function get(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const opts = { method: 'GET', signal, headers: { 'user-agent': 'agora-health-check', connection: 'close' } };
    const req = url.protocol === 'https:' ? httpsRequest(url, { ...opts, rejectUnauthorized: false }) : httpRequest(url, opts);
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

/** Connects and disconnects; succeeded unless the connection failed. */
export function tcpProbe(host: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ kind: 'error', message: 'aborted' });
      return;
    }
    const socket = connect({ host, port });
    const onAbort = (): void => {
      socket.destroy();
      resolve({ kind: 'error', message: 'aborted' });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ kind: 'tcp', succeeded: true });
    });
    socket.once('error', () => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ kind: 'tcp', succeeded: false });
    });
  });
}
