/**
 * Fastify set-up shared by every daemon: bodies arrive as raw text (routes decode them against
 * src/api schemas so error bodies match upstream exactly), a configurable body limit, and form bodies
 * for the legacy operator endpoints.
 */
import Fastify, { type FastifyInstance } from 'fastify';

export interface HttpServerOptions {
  readonly bodyLimitBytes?: number;
}

export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

export function createHttpServer(opts: HttpServerOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    // Upstream serves `/slave(1)/state`; parentheses must survive routing unescaped.
    routerOptions: { ignoreTrailingSlash: true },
    forceCloseConnections: true,
    keepAliveTimeout: 5_000,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    done(null, body);
  });
  // Upstream answers oversize or unreadable bodies in plain text.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    void reply
      .code(status)
      .type('text/plain; charset=utf-8')
      .send(status === 413 ? `Request body is larger than the limit of ${opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT} bytes` : err.message);
  });
  return app;
}

/** The request body as text ('' when none). */
export function bodyText(body: unknown): string {
  return typeof body === 'string' ? body : '';
}

/** Parses an application/x-www-form-urlencoded body. */
export function formFields(body: unknown): URLSearchParams {
  return new URLSearchParams(bodyText(body));
}
