/**
 * The HTTP(S) and TCP probes of Marathon-level health checks (spec §4.6): HTTP healthy on 200–399 within the
 * timeout (1xx ignored with ignoreHttp1xx → reported as ok), HTTPS without certificate verification, TCP
 * healthy when a connection opens within the timeout. Never throws: failures carry a cause.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { HealthCheck } from '../model/app.js';
import type { ProbeResult } from './tracker.js';

export function probeHttp(https: boolean, host: string, port: number, path: string, timeoutMs: number, ignore1xx = false): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)({ host, port, path, method: 'GET', timeout: timeoutMs, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      const s = res.statusCode ?? 0;
      if (s >= 200 && s < 400) resolve({ ok: true });
      else if (s < 200 && ignore1xx) resolve({ ok: true });
      else resolve({ ok: false, cause: `${s} ${res.statusMessage ?? ''}`.trim() });
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, cause: e.message }));
    req.end();
  });
}

export function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    sock.setTimeout(timeoutMs);
    sock.once('connect', () => {
      sock.destroy();
      resolve({ ok: true });
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve({ ok: false, cause: `connection timed out after ${timeoutMs} ms` });
    });
    sock.once('error', (e) => resolve({ ok: false, cause: e.message }));
  });
}

/** Probes one instance at `host` whose host ports are `ports`; undefined for checks Marathon does not run. */
export function probe(check: HealthCheck, host: string, ports: readonly number[]): Promise<ProbeResult> | undefined {
  const port = check.port ?? ports[check.portIndex ?? 0];
  if (port === undefined) return Promise.resolve({ ok: false, cause: 'no port for the health check' });
  const timeoutMs = check.timeoutSeconds * 1000;
  switch (check.protocol) {
    case 'HTTP':
    case 'HTTPS':
      return probeHttp(check.protocol === 'HTTPS', host, port, check.path ?? '/', timeoutMs, check.ignoreHttp1xx ?? false);
    case 'TCP':
      return probeTcp(host, port, timeoutMs);
    default:
      return undefined;
  }
}

/** One readiness GET: the response (status, content type, body up to 64 KiB), or undefined on error/timeout. */
export function fetchReadiness(https: boolean, host: string, port: number, path: string, timeoutMs: number): Promise<{ status: number; contentType: string; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)({ host, port, path, method: 'GET', timeout: timeoutMs, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 65536) body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
