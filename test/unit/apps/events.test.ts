import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { harness, offer } from './harness.js';

describe('/v2/events (SSE)', () => {
  it('refuses requests without Accept: text/event-stream', async () => {
    const h = harness();
    const res = await h.http.inject({ method: 'GET', url: '/v2/events' });
    expect(res.statusCode).toBe(405);
  });

  it('streams filtered events with CRLF framing, heartbeats and the deployment life cycle', async () => {
    const h = harness();
    await h.http.listen({ host: '127.0.0.1', port: 0 });
    const port = (h.http.server.address() as AddressInfo).port;
    let text = '';
    let status = 0;
    let contentType = '';
    const req = request({ host: '127.0.0.1', port, path: '/v2/events?event_type=api_post_event&event_type=deployment_info&event_type=deployment_success&event_type=status_update_event', headers: { accept: 'text/event-stream' } }, (res) => {
      status = res.statusCode ?? 0;
      contentType = String(res.headers['content-type']);
      res.on('data', (d: Buffer) => (text += d.toString()));
    });
    req.on('error', () => undefined);
    req.end();
    const until = async (cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setImmediate(r));
      for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => globalThis.setTimeout(r, 10));
    };
    try {
      await until(() => h.state.events.size > 0 && status !== 0);
      expect(status).toBe(200);
      expect(contentType).toBe('text/event-stream;charset=UTF-8');
      await h.inject('POST', '/v2/apps', { id: 'ev', cmd: 'x', cpus: 0.1, mem: 16 });
      await h.runtime.onOffers([offer('h1')]);
      await h.update(h.driver.tasks[0]?.task_id.value ?? '', 'TASK_RUNNING');
      await h.runtime.tick();
      await h.clock.advance(10_000);
      await until(() => text.includes('deployment_success') && text.includes('\r\n\r\n\r\n'));
      const frames = text.split('\r\n\r\n').filter((f) => f.startsWith('event: '));
      const types = frames.map((f) => f.split('\r\n')[0]?.slice('event: '.length));
      expect(types).toEqual(['api_post_event', 'deployment_info', 'status_update_event', 'deployment_success']);
      const post = JSON.parse(frames[0]?.split('\r\n')[1]?.slice('data: '.length) ?? '{}') as Record<string, unknown>;
      expect(post).toMatchObject({ eventType: 'api_post_event', uri: '/v2/apps', appDefinition: { id: '/ev' } });
      expect(typeof post['timestamp']).toBe('string');
      const upd = JSON.parse(frames[2]?.split('\r\n')[1]?.slice('data: '.length) ?? '{}') as Record<string, unknown>;
      expect(upd).toMatchObject({ taskStatus: 'TASK_RUNNING', appId: '/ev', host: 'h1' });
      expect(text).not.toContain('event_stream_attached');
    } finally {
      req.destroy();
      await h.http.close();
    }
  });
});
