/** Free TCP ports on 127.0.0.1 for daemons that must be told their port up front. */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

/**
 * A port that was free a moment ago (bound to 0 then released). Never returns the same port twice in one
 * process, so two daemons started back to back do not race for one port.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr !== null ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port !== 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
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
    let ok = p + extra < 65536;
    for (let i = 1; ok && i <= extra; i++) ok = await canBind(p + i);
    if (ok) {
      for (let i = 1; i <= extra; i++) handedOut.add(p + i);
      return p;
    }
  }
}
