/**
 * marathon-lb's `HAPROXY_*` labels (spec service-discovery §2.5) read for one service port, with every value
 * validated before it can reach a configuration file: a value that could inject configuration (newline, space
 * where HAProxy splits words, `#`, unknown balance algorithm...) is a LabelError naming the label, so the app is
 * skipped and the error reported while the other apps are still configured. Pure.
 */

/** Attributes of one (app, port index) service as the labels set them. */
export interface ServiceLabels {
  readonly groups: readonly string[];
  readonly vhosts: readonly string[];
  readonly mode: 'tcp' | 'http' | undefined;
  readonly balance: string;
  readonly sticky: boolean;
  readonly bindAddr: string | undefined;
  readonly port: number | undefined;
  readonly redirectToHttps: boolean;
  readonly sslCert: string | undefined;
  readonly path: string | undefined;
  readonly enabled: boolean | undefined;
}

/** A label value that was refused; `label` is the exact key. */
export class LabelError extends Error {
  constructor(
    readonly label: string,
    message: string,
  ) {
    super(`label ${label}: ${message}`);
  }
}

const BALANCE_ALGORITHMS = new Set(['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'random']);
const VHOST_RE = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const GROUP_RE = /^[A-Za-z0-9_.*-]+$/;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const PATH_TOKEN_RE = /^[A-Za-z0-9._~/%:@!$&'()*+,;=-]+$/;
const FILE_PATH_RE = /^\/[A-Za-z0-9._/@+-]+$/;

/** True for marathon-lb's truthy spellings: true, t, yes, y (any case). */
export function isTruthy(v: string): boolean {
  return ['true', 't', 'yes', 'y'].includes(v.trim().toLowerCase());
}

/**
 * Reads and validates the labels of service `n`; throws LabelError on the first refused value. Every
 * `HAPROXY_*` label of the app is checked for control characters first, even those this LB does not use,
 * because another LB instance may render them.
 */
export function readServiceLabels(labels: Readonly<Record<string, string>>, n: number): ServiceLabels {
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('HAPROXY_') && /[\u0000-\u001f\u007f]/.test(v)) throw new LabelError(k, 'control characters (newline, tab...) are not allowed');
  }
  const key = (name: string): string => `HAPROXY_${n}_${name}`;
  const get = (name: string): string | undefined => {
    const v = labels[key(name)];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const groupText = labels[key('GROUP')] ?? labels['HAPROXY_GROUP'];
  const groups = groupText === undefined ? [] : splitList(groupText);
  for (const g of groups) if (!GROUP_RE.test(g)) throw new LabelError(labels[key('GROUP')] !== undefined ? key('GROUP') : 'HAPROXY_GROUP', `invalid group '${g}'`);

  const vhostText = get('VHOST');
  const vhosts = vhostText === undefined ? [] : splitList(vhostText.toLowerCase());
  for (const h of vhosts) if (!VHOST_RE.test(h) || h.length > 253) throw new LabelError(key('VHOST'), `invalid virtual host '${h}'`);

  const modeText = get('MODE')?.toLowerCase();
  if (modeText !== undefined && modeText !== 'tcp' && modeText !== 'http') throw new LabelError(key('MODE'), `must be tcp or http, got '${modeText}'`);

  const balance = get('BALANCE') ?? 'roundrobin';
  if (!BALANCE_ALGORITHMS.has(balance)) throw new LabelError(key('BALANCE'), `unknown balance algorithm '${balance}' (one of ${[...BALANCE_ALGORITHMS].join(', ')})`);

  const bindAddr = get('BIND_ADDR');
  if (bindAddr !== undefined && !isBindAddr(bindAddr)) throw new LabelError(key('BIND_ADDR'), `invalid bind address '${bindAddr}'`);

  const portText = get('PORT');
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new LabelError(key('PORT'), `must be a port number 1-65535, got '${portText}'`);
  }

  const sslCert = get('SSL_CERT');
  if (sslCert !== undefined && !FILE_PATH_RE.test(sslCert)) throw new LabelError(key('SSL_CERT'), `must be an absolute file path without spaces, got '${sslCert}'`);

  const path = get('PATH');
  if (path !== undefined) {
    const tokens = path.split(/ +/);
    if (!tokens.every((t) => PATH_TOKEN_RE.test(t)) || !tokens.some((t) => t.startsWith('/'))) throw new LabelError(key('PATH'), `invalid path match '${path}'`);
    if (vhosts.length === 0) throw new LabelError(key('PATH'), `needs ${key('VHOST')}`);
  }

  const enabledText = get('ENABLED');
  const mode: 'tcp' | 'http' | undefined = modeText === 'tcp' || modeText === 'http' ? modeText : undefined;
  return {
    groups,
    vhosts,
    mode,
    balance,
    sticky: isTruthy(get('STICKY') ?? ''),
    bindAddr,
    port,
    redirectToHttps: isTruthy(get('REDIRECT_TO_HTTPS') ?? ''),
    sslCert,
    path,
    enabled: enabledText === undefined ? undefined : isTruthy(enabledText),
  };
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function isBindAddr(a: string): boolean {
  if (a === '*' || a === '::') return true;
  const m = IPV4_RE.exec(a);
  if (m !== null) return m.slice(1).every((x) => Number(x) <= 255);
  if (/^[0-9a-fA-F:]+$/.test(a) && a.includes(':')) return true;
  return HOSTNAME_RE.test(a) && a.length <= 253;
}
