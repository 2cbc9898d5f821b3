/** Free TCP ports on 127.0.0.1 for daemons that must be told their port up front. */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

/** Ports handed to test daemons: below the kernel's ephemeral range (32768+), which outgoing client sockets
 * draw from, and away from the agents' task ports (31000+) and apps' service ports (10000–20000). */
const TEST_PORT_MIN = 21000;
const TEST_PORT_MAX = 30999;

/**
 * A port that is free now, chosen at random from a range no client socket is given by the kernel, so nothing
 * takes it between this check and the daemon's bind. Never returns the same port twice in one process, and
 * parallel test processes rarely collide (random choice over 10,000 ports, then a bind check).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = TEST_PORT_MIN + Math.floor(Math.random() * (TEST_PORT_MAX - TEST_PORT_MIN + 1));
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    return port;
  }
}

async function canBind(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free port P such that P+1 … P+extra are free too (for `agora up`, whose agents take the next ports). */
export async function freePortRun(extra: number): Promise<number> {
  for (;;) {
    const p = await freePort();
    let ok = p + extra <= TEST_PORT_MAX;
    for (let i = 1; ok && i <= extra; i++) ok = await canBind(p + i);
    if (ok) {
      for (let i = 1; i <= extra; i++) handedOut.add(p + i);
      return p;
    }
  }
}
