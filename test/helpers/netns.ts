/**
 * A network namespace joined to the host by a veth pair on a private /30, for partition tests (needs root
 * and `ip`). Names are unique per run; `destroy()` removes the link and the namespace and is safe to call
 * twice or after a partial setup. `spawnAgoraIn` runs `node bin/agora.js …` inside the namespace, tracked for
 * cleanupAll() like spawnAgora.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { spawnAgora, type Spawned } from './daemons.js';

export interface Netns {
  readonly name: string;
  readonly hostIf: string;
  readonly hostIp: string;
  readonly nsIp: string;
  /** Cuts the link (host side down). */
  cut(): void;
  /** Restores the link. */
  heal(): void;
  destroy(): void;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates the namespace, the veth pair and addresses (10.x.y.{1,2}/30); throws the `ip` error if impossible. */
export function createNetns(): Netns {
  const id = randomBytes(3).toString('hex');
  const name = `agora-p-${id}`;
  const hostIf = `ap${id}h`;
  const nsIf = `ap${id}n`;
  const rnd = randomBytes(2);
  const base = `10.${200 + ((rnd[0] ?? 0) % 50)}.${rnd[1] ?? 0}`;
  const quad = (randomBytes(1)[0] ?? 0) % 64;
  const hostIp = `${base}.${quad * 4 + 1}`;
  const nsIp = `${base}.${quad * 4 + 2}`;
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    for (const args of [['link', 'del', hostIf], ['netns', 'del', name]]) {
      try {
        ip(...args);
      } catch {
        // already gone
      }
    }
  };
  try {
    ip('netns', 'add', name);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    ip('link', 'set', nsIf, 'netns', name);
    ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('netns', 'exec', name, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf);
    ip('netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'up');
    ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  } catch (e: unknown) {
    destroy();
    throw e;
  }
  return { name, hostIf, hostIp, nsIp, cut: () => ip('link', 'set', hostIf, 'down'), heal: () => ip('link', 'set', hostIf, 'up'), destroy };
}

/** `ip netns exec <ns> node bin/agora.js …args` (spawnAgora with that prefix: logged, tracked for cleanupAll()). */
export function spawnAgoraIn(ns: Netns, name: string, args: readonly string[], logDir: string): Spawned {
  return spawnAgora(name, args, logDir, {}, ['ip', 'netns', 'exec', ns.name]);
}
