/**
 * Content negotiation shared by the master's POST APIs (spec §1.2): Content-Type must be JSON
 * (parameters and case tolerated), Accept must allow JSON. Protobuf is not served.
 */
import type { FastifyRequest } from 'fastify';

export { TEXT, METHODS_ALL, textReply, rejectNonPost, rejectContentType, acceptsJson } from '../../transport/http-checks.js';

/** A request header as a single string (Node lower-cases names, so lookups are case-insensitive). */
export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The peer's IPv4 address without the IPv6-mapped prefix. */
export function remoteIp(req: FastifyRequest): string {
  const ip = req.socket.remoteAddress ?? '127.0.0.1';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip === '::1' ? '127.0.0.1' : ip;
}
