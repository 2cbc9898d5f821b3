import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { HaFront } from '../../../src/master/ha-front.js';
import { createHttpServer } from '../../../src/transport/http-server.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

function app(name: string): FastifyInstance {
  const a = createHttpServer();
  a.post('/call', async (req, reply) => reply.code(200).send(`${name}:${String(req.body)}`));
  a.get('/metrics/snapshot', async (_req, reply) => reply.code(200).send(name));
  apps.push(a);
  return a;
}

async function listening(a: FastifyInstance): Promise<string> {
  await a.listen({ host: '127.0.0.1', port: 0 });
  const addr = a.server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
}

/** Resolves once `n` calls are held (the request reached the server; polled on the event loop). */
async function held(front: HaFront, n: number): Promise<void> {
  for (let i = 0; i < 1000 && front.heldCount < n; i++) await new Promise((r) => setImmediate(r));
  expect(front.heldCount).toBe(n);
}

describe('HaFront: one listening server for standby and leader (ADR 0041)', () => {
  it('routes to the standby, holds calls while recovering and hands them to the leader, unread bodies intact', async () => {
    const standby = app('standby');
    const url = await listening(standby);
    const front = new HaFront(standby);
    expect(await (await fetch(`${url}/call`, { method: 'POST', body: 'a' })).text()).toBe('standby:a');
    front.holdCalls();
    const pending = fetch(`${url}/call`, { method: 'POST', body: 'b' });
    await held(front, 1);
    // GETs are still answered by the standby while calls are held.
    expect(await (await fetch(`${url}/metrics/snapshot`)).text()).toBe('standby');
    const leader = app('leader');
    await front.serveLeader(leader);
    expect(await (await pending).text()).toBe('leader:b');
    expect(await (await fetch(`${url}/metrics/snapshot`)).text()).toBe('leader');
    expect(front.heldCount).toBe(0);
  });

  it('held calls go back to the standby when recovery fails or leadership is lost', async () => {
    const standby = app('standby');
    const url = await listening(standby);
    const front = new HaFront(standby);
    front.holdCalls();
    const pending = fetch(`${url}/call`, { method: 'POST', body: 'c' });
    await held(front, 1);
    front.serveStandby();
    expect(await (await pending).text()).toBe('standby:c');
    // Not holding any more: the next call is answered at once.
    expect(await (await fetch(`${url}/call`, { method: 'POST', body: 'd' })).text()).toBe('standby:d');
  });
});
