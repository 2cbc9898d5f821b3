/**
 * `/files/*` on the agent (spec §5.7). Each task run's sandbox is attached under three names: its real
 * host path, the host `runs/latest` path, and the virtual `/frameworks/<fid>/executors/<eid>/runs/latest`.
 * A request path resolves against the longest attached prefix; `..` can never leave the sandbox.
 */
import { open, readdir, stat, readFile } from 'node:fs/promises';
import { createReadStream, type Stats } from 'node:fs';
import { basename, extname, join, normalize } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Agent } from '../agent.js';

const READ_CAP = 16 * 4096;

/** Virtual path → host directory, for every sandbox this agent knows. */
export function attachedPaths(agent: Agent): Map<string, string> {
  const out = new Map<string, string>();
  const add = (fid: string, eid: string, dir: string): void => {
    out.set(dir, dir);
    const latest = join(dir, '..', 'latest');
    out.set(latest, latest);
    out.set(`/frameworks/${fid}/executors/${eid}/runs/latest`, latest);
  };
  // Executor runs (custom and default executors): a task-group task's sandbox is `tasks/<id>` below its executor's.
  for (const e of [...agent.executors.completed, ...agent.executors.list()]) add(e.fid, e.info.executor_id.value, e.sandbox);
  const all = [...agent.frameworks.values(), ...agent.completedFrameworks];
  for (const fw of all) {
    for (const t of [...fw.tasks.values(), ...fw.completed]) if (t.executorId === undefined) add(t.fid, t.task.task_id.value, t.sandbox);
  }
  return out;
}

/** Maps a requested path to a host path, or undefined if no attached prefix covers it. */
export function resolveFilePath(attached: ReadonlyMap<string, string>, requested: string): string | undefined {
  const p = normalize(requested).replace(/\/+$/, '') || '/';
  let best: string | undefined;
  for (const prefix of attached.keys()) {
    if ((p === prefix || p.startsWith(`${prefix}/`)) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  if (best === undefined) return undefined;
  const rest = p.slice(best.length);
  if (rest.split('/').includes('..')) return undefined;
  return `${attached.get(best) ?? ''}${rest}`;
}

let idNames: { users: Map<number, string>; groups: Map<number, string> } | undefined;
/** uid → user and gid → group names from /etc/passwd and /etc/group (read once). */
export async function names(): Promise<{ users: Map<number, string>; groups: Map<number, string> }> {
  if (idNames !== undefined) return idNames;
  const parse = async (file: string): Promise<Map<number, string>> => {
    const m = new Map<number, string>();
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const f = line.split(':');
      if (f[0] !== undefined && f[2] !== undefined) m.set(Number(f[2]), f[0]);
    }
    return m;
  };
  idNames = { users: await parse('/etc/passwd'), groups: await parse('/etc/group') };
  return idNames;
}

/** `drwxr-xr-x` style mode string. */
export function modeString(s: Stats): string {
  const type = s.isDirectory() ? 'd' : s.isSymbolicLink() ? 'l' : s.isFIFO() ? 'p' : s.isSocket() ? 's' : s.isCharacterDevice() ? 'c' : s.isBlockDevice() ? 'b' : '-';
  const bits = 'rwxrwxrwx';
  let out = type;
  for (let i = 0; i < 9; i++) out += (s.mode & (1 << (8 - i))) !== 0 ? bits[i] : '-';
  return out;
}

const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.json': 'application/json',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.js': 'application/javascript',
  '.xml': 'application/xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.zip': 'application/zip',
  '.pdf': 'application/pdf',
};

function bad(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(message);
}

/** Parses a non-negative integer or -1; undefined when absent; NaN when invalid. */
function intParam(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) return NaN;
  const n = Number(v);
  return n < -1 ? NaN : n;
}

export function registerFileRoutes(app: FastifyInstance, agent: Agent): void {
  const lookup = async (reply: FastifyReply, path: string | undefined): Promise<{ host: string; st: Stats } | undefined> => {
    if (path === undefined || path === '') {
      await bad(reply, 400, "Expecting 'path=value' in query.");
      return undefined;
    }
    const host = resolveFilePath(attachedPaths(agent), path);
    if (host === undefined) {
      await bad(reply, 404, 'No such file or directory.');
      return undefined;
    }
    try {
      return { host, st: await stat(host) };
    } catch {
      await bad(reply, 404, 'No such file or directory.');
      return undefined;
    }
  };

  for (const suffix of ['', '.json']) {
    app.get(`/files/browse${suffix}`, async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const found = await lookup(reply, q['path']);
      if (found === undefined) return reply;
      if (!found.st.isDirectory()) return bad(reply, 400, 'Cannot browse a file.');
      const { users, groups } = await names();
      const base = (q['path'] ?? '').replace(/\/+$/, '');
      const entries = (await readdir(found.host)).sort();
      const list: Record<string, unknown>[] = [];
      for (const name of entries) {
        const s = await stat(join(found.host, name)).catch(() => undefined);
        if (s === undefined) continue;
        list.push({
          path: `${base}/${name}`,
          nlink: s.nlink,
          size: s.size,
          mtime: Math.floor(s.mtimeMs / 1000),
          mode: modeString(s),
          uid: users.get(s.uid) ?? String(s.uid),
          gid: groups.get(s.gid) ?? String(s.gid),
        });
      }
      return reply.type('application/json').send(JSON.stringify(list));
    });

    app.get(`/files/read${suffix}`, async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const offset = intParam(q['offset']);
      const length = intParam(q['length']);
      if (Number.isNaN(offset)) return bad(reply, 400, `Failed to parse offset: '${q['offset'] ?? ''}'`);
      if (Number.isNaN(length)) return bad(reply, 400, `Failed to parse length: '${q['length'] ?? ''}'`);
      const found = await lookup(reply, q['path']);
      if (found === undefined) return reply;
      if (found.st.isDirectory()) return bad(reply, 400, 'Cannot read a directory.');
      const size = found.st.size;
      if (offset === undefined || offset === -1) return reply.type('application/json').send(JSON.stringify({ offset: size, data: '' }));
      if (offset >= size) return reply.type('application/json').send(JSON.stringify({ offset, data: '' }));
      const want = Math.min(length === undefined || length === -1 ? size - offset : length, READ_CAP, size - offset);
      const fh = await open(found.host, 'r');
      try {
        const buf = Buffer.alloc(want);
        const { bytesRead } = await fh.read(buf, 0, want, offset);
        return reply.type('application/json').send(JSON.stringify({ offset, data: buf.subarray(0, bytesRead).toString('utf8') }));
      } finally {
        await fh.close();
      }
    });

    app.get(`/files/download${suffix}`, async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const found = await lookup(reply, q['path']);
      if (found === undefined) return reply;
      if (found.st.isDirectory()) return bad(reply, 400, 'Cannot download a directory.');
      const name = basename(found.host);
      return reply
        .type(CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream')
        .header('content-disposition', `attachment; filename=${name}`)
        .send(createReadStream(found.host));
    });

    app.get(`/files/debug${suffix}`, async (_req, reply) => {
      return reply.type('application/json').send(JSON.stringify(Object.fromEntries(attachedPaths(agent))));
    });
  }
}
