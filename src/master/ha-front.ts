/**
 * The one listening HTTP server of an `--zk` master (ADR 0041): it never closes while the process lives, and
 * each request goes to the app in charge — the standby app, or the leading master's app once it is ready.
 *
 * Why: closing the standby's server and then binding the leader's left a window where agents got connection
 * resets, and while the registry was being recovered they got 503; both made the whole fleet back off
 * (exponentially) right when it should re-register. Instead, while this master is elected but still
 * recovering, calls (POST: agent SUBSCRIBE, scheduler and operator API) are held unread and handed to the
 * leader's app as soon as it serves; GETs (health, metrics, redirects) keep being answered by the standby.
 * If recovery fails or leadership is lost first, held calls go to the standby (307 to the new leader or 503).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Routes the requests of `standby`'s server (already listening) to the standby or the leader app. */
export class HaFront {
  private leader: Handler | undefined;
  private holding = false;
  private held: { req: IncomingMessage; res: ServerResponse }[] = [];
  private readonly standby: Handler;

  constructor(standby: FastifyInstance) {
    const server: Server = standby.server;
    this.standby = (req, res) => standby.routing(req, res);
    // Fastify installed its own handler at creation; every request now goes through route().
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.route(req, res));
  }

  /** Requests held so far (for tests and logs). */
  get heldCount(): number {
    return this.held.length;
  }

  /** Elected, registry being recovered: hold calls from now on. */
  holdCalls(): void {
    if (this.leader === undefined) this.holding = true;
  }

  /** The leader's app is ready (`await app.ready()` first): it gets every request, held ones first. */
  async serveLeader(app: FastifyInstance): Promise<void> {
    await app.ready();
    this.leader = (req, res) => app.routing(req, res);
    this.release(this.leader);
  }

  /** Back to the standby app (leadership lost, recovery failed, or stopping); held calls go to it. */
  serveStandby(): void {
    this.leader = undefined;
    this.release(this.standby);
  }

  private release(to: Handler): void {
    this.holding = false;
    for (const { req, res } of this.held.splice(0)) {
      if (res.destroyed || req.destroyed) continue;
      to(req, res);
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    if (this.leader !== undefined) return this.leader(req, res);
    if (this.holding && req.method === 'POST') {
      this.held.push({ req, res });
      return;
    }
    this.standby(req, res);
  }
}
