/** A minimal in-test master speaking the agent protocol: registers agents, records calls, sends events. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { encodeRecord } from '../../../src/transport/recordio.js';
import type { AgentCallJson, AgentEvent } from '../../../src/api/agora/agent-protocol.js';

export class FakeMaster {
  readonly calls: AgentCallJson[] = [];
  readonly subscribes: AgentCallJson[] = [];
  private stream: ServerResponse | undefined;
  private streamId = '';
  private counter = 0;
  autoAck = false;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const a = this.server.address();
    this.port = typeof a === 'object' && a !== null ? a.port : 0;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get updates(): NonNullable<AgentCallJson['status_update']>[] {
    return this.calls.filter((c) => c.type === 'STATUS_UPDATE').flatMap((c) => [...(c.status_updates ?? []), ...(c.status_update ? [c.status_update] : [])]);
  }

  statesOf(taskId: string): string[] {
    return this.updates.filter((u) => u.status.task_id.value === taskId).map((u) => u.status.state);
  }

  send(e: AgentEvent): void {
    this.stream?.write(encodeRecord(e));
  }

  ack(frameworkId: string, taskId: string, uuid: string): void {
    this.send({ type: 'ACKNOWLEDGE', acknowledge: { framework_id: { value: frameworkId }, task_id: { value: taskId }, uuid } });
  }

  dropStream(): void {
    this.stream?.destroy();
    this.stream = undefined;
  }

  async stop(): Promise<void> {
    this.dropStream();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += (chunk as Buffer).toString();
    const call = JSON.parse(body) as AgentCallJson;
    if (call.type === 'SUBSCRIBE') {
      this.subscribes.push(call);
      this.dropStream();
      this.streamId = randomUUID();
      res.writeHead(200, { 'content-type': 'application/json', 'agora-stream-id': this.streamId });
      res.flushHeaders();
      this.stream = res;
      const agentId = call.agent_id?.value ?? `master-S${this.counter++}`;
      this.send({
        type: 'REGISTERED',
        registered: { agent_id: { value: agentId }, master_info: { id: 'master', ip: 0, port: this.port, hostname: '127.0.0.1' }, ping_interval_seconds: 15 },
      });
      return;
    }
    if (req.headers['agora-stream-id'] !== this.streamId) {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'AGENT_NOT_SUBSCRIBED', message: 'no' }));
      return;
    }
    this.calls.push(call);
    res.writeHead(202).end();
    for (const u of [...(call.status_updates ?? []), ...(call.status_update ? [call.status_update] : [])]) {
      if (this.autoAck && u.status.uuid !== undefined) this.ack(u.framework_id.value, u.status.task_id.value, u.status.uuid);
    }
  }
}

export function runTask(id: string, command: Record<string, unknown>, extra: Record<string, unknown> = {}, fwExtra: Record<string, unknown> = {}): AgentEvent {
  return {
    type: 'RUN_TASK',
    run_task: {
      framework: { id: { value: 'fw-1' }, name: 'test', user: 'root', checkpoint: true, ...fwExtra },
      task: {
        name: id,
        task_id: { value: id },
        agent_id: { value: 'x' },
        resources: [
          { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } },
          { name: 'mem', type: 'SCALAR', scalar: { value: 32 } },
        ],
        command: command,
        ...extra,
      },
    },
  };
}
