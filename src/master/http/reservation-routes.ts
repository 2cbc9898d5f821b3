/**
 * `/reserve`, `/unreserve`, `/create-volumes`, `/destroy-volumes` (spec §5.1), under `/master/...` and
 * `/...`: form-encoded bodies `slaveId=<id>&resources=<JSON array>` (`volumes=` for the volume endpoints);
 * 202 when applied, 400 for bad requests, 409 when the agent lacks the resources.
 */
import type { FastifyInstance } from 'fastify';
import { formFields } from '../../transport/http-server.js';
import type { Master } from '../master.js';
import type { ConversionKind } from '../offer-operations.js';
import { operatorConvert } from '../operator-conversions.js';
import { METHODS_ALL, textReply } from './content.js';

const ENDPOINTS: readonly { route: string; kind: ConversionKind; field: 'resources' | 'volumes' }[] = [
  { route: 'reserve', kind: 'RESERVE', field: 'resources' },
  { route: 'unreserve', kind: 'UNRESERVE', field: 'resources' },
  { route: 'create-volumes', kind: 'CREATE', field: 'volumes' },
  { route: 'destroy-volumes', kind: 'DESTROY', field: 'volumes' },
];

/** Parses a form body; the JSON array of resources or the 400 message. */
export function parseConversionForm(
  body: unknown,
  field: string,
): { ok: true; agentId: string; resources: unknown[]; source?: unknown[] } | { ok: false; message: string } {
  const form = formFields(body);
  const agentId = form.get('slaveId');
  if (agentId === null || agentId === '') return { ok: false, message: "Missing 'slaveId' query parameter in the request body" };
  const text = form.get(field);
  if (text === null) return { ok: false, message: `Missing '${field}' query parameter in the request body` };
  const resources = jsonList(text, field);
  if (typeof resources === 'string') return { ok: false, message: resources };
  const sourceText = field === 'resources' ? form.get('source') : null;
  if (sourceText === null) return { ok: true, agentId, resources };
  const source = jsonList(sourceText, 'source');
  if (typeof source === 'string') return { ok: false, message: source };
  return { ok: true, agentId, resources, source };
}

/** A JSON array (a single value counts as one element), or the 400 message. */
function jsonList(text: string, field: string): unknown[] | string {
  try {
    const json = JSON.parse(text) as unknown;
    return Array.isArray(json) ? (json as unknown[]) : [json];
  } catch (e: unknown) {
    return `Error in parsing '${field}' query parameter in the request body: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Registers the four endpoints. */
export function registerReservationRoutes(app: FastifyInstance, m: Master): void {
  for (const { route, kind, field } of ENDPOINTS) {
    for (const url of [`/master/${route}`, `/${route}`]) {
      app.route({
        method: [...METHODS_ALL],
        url,
        handler: (req, reply) => {
          if (req.method !== 'POST') return reply.header('Allow', 'POST').code(405).type('text/plain; charset=utf-8').send(`Expecting one of { 'POST' }, but received '${req.method}'`);
          const parsed = parseConversionForm(req.body, field);
          if (!parsed.ok) return textReply(reply, 400, parsed.message);
          const out = operatorConvert(m, parsed.agentId, kind, parsed.resources, parsed.source !== undefined ? { source: parsed.source } : {});
          if (out.status === 202) return reply.code(202).send();
          return textReply(reply, out.status, out.message);
        },
      });
    }
  }
}
