/**
 * `zk://host1:2181,host2:2181/agora` (upstream's `--zk` / `--master` form) → connect string and group path.
 * `zk://user:pass@hosts/path` carries digest credentials. The path is required, normalised to a leading
 * slash and no trailing slash.
 */
import { invalid } from '../../core/errors.js';

export interface ZkUrl {
  /** `host1:2181,host2:2181` */
  readonly connectString: string;
  /** `/agora` */
  readonly path: string;
  readonly auth?: { readonly user: string; readonly password: string };
}

/** True when `text` is a `zk://` URL (so `--master` can take either `host:port` or `zk://...`). */
export function isZkUrl(text: string): boolean {
  return text.startsWith('zk://');
}

/** Parses a `zk://` URL; throws INVALID_REQUEST on a malformed one. */
export function parseZkUrl(url: string): ZkUrl {
  if (!isZkUrl(url)) throw invalid(`Expected a zk:// URL, got '${url}'`);
  let rest = url.slice('zk://'.length);
  let auth: ZkUrl['auth'];
  const at = rest.lastIndexOf('@', rest.indexOf('/') === -1 ? rest.length : rest.indexOf('/'));
  if (at !== -1) {
    const cred = rest.slice(0, at);
    const colon = cred.indexOf(':');
    if (colon === -1) throw invalid(`Bad credentials in '${url}': expected user:password@`);
    auth = { user: cred.slice(0, colon), password: cred.slice(colon + 1) };
    rest = rest.slice(at + 1);
  }
  const slash = rest.indexOf('/');
  const hosts = slash === -1 ? rest : rest.slice(0, slash);
  const path = `/${(slash === -1 ? '' : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, '')}`;
  if (hosts === '' || hosts.split(',').some((h) => !/^[^:,\s]+:\d+$/.test(h))) throw invalid(`Bad host list in '${url}': expected host:port[,host:port...]`);
  if (path === '/') throw invalid(`'${url}' needs a path, e.g. zk://${hosts}/agora`);
  return auth === undefined ? { connectString: hosts, path } : { connectString: hosts, path, auth };
}
