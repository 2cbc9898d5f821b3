/**
 * `GET /v2/events` (spec §2.6): only with `Accept: text/event-stream` (else 405); `event_type` filters;
 * frames `event: <type>\r\ndata: <json>\r\n\r\n`; a bare `\r\n` heartbeat every 10 s; `event_stream_attached`
 * on connect and `event_stream_detached` on close; a consumer more than 1024 events behind is disconnected.
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { EventBus, MarathonEvent } from './bus.js';

export const HEARTBEAT_MS = 10_000;
const MAX_OUTSTANDING = 1024;

export function frame(e: MarathonEvent): string {
  return `event: ${e.eventType}\r\ndata: ${JSON.stringify(e)}\r\n\r\n`;
}

export function registerEvents(app: FastifyInstance, bus: EventBus, clock: Clock, leader: () => string): void {
  app.get('/v2/events', (req, reply) => {
    const accept = req.headers.accept ?? '';
    if (!accept.split(',').some((a) => a.trim().startsWith('text/event-stream'))) {
      void reply.code(405).type('text/html').send('<html><body><h2>HTTP ERROR 405</h2><p>HTTP method GET is not supported by this URL</p></body></html>');
      return;
    }
    const q = req.query as Record<string, string | string[] | undefined>;
    const raw = q['event_type'];
    const types = new Set(raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream;charset=UTF-8',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      'X-Marathon-Leader': leader(),
    });
    let outstanding = 0;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      unsubscribe();
      heartbeat.cancel();
      res.end();
      bus.publish('event_stream_detached', { remoteAddress: req.ip });
    };
    const write = (text: string): void => {
      if (closed) return;
      outstanding++;
      if (outstanding > MAX_OUTSTANDING) {
        close();
        return;
      }
      res.write(text, () => {
        outstanding--;
      });
    };
    const unsubscribe = bus.subscribe((e) => {
      if (types.size === 0 || types.has(e.eventType)) write(frame(e));
    });
    const heartbeat = clock.every(HEARTBEAT_MS, () => write('\r\n'));
    res.on('close', close);
    res.flushHeaders();
    bus.publish('event_stream_attached', { remoteAddress: req.ip });
  });
}
