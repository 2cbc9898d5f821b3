/**
 * Where `agora lb` reaches `agora apps`: a fixed `http(s)://` URL, or `zk://h:p/path` — the HA apps group
 * (`agora apps --zk` with the same URL), whose current leader is followed through ZooKeeper (ADR 0043).
 *
 * Guarantees: `url()` is the fixed URL, or the public URL of the apps leader ZooKeeper names right now; it
 * throws while no leader is known (callers already treat a failed fetch as "retry later"). Any apps node
 * would proxy to the leader, but asking the leader directly saves a hop and follows it when nodes die.
 */
import type { Clock } from '../core/clock.js';
import { ZkGroupDetector, isZkUrl, parseZkUrl } from '../coordination/index.js';
import { electionUrl, parseMember, type FrameworkMember } from '../coordination/framework-ha/index.js';

/** The apps URL as the controller and the event follower take it: fixed, or looked up on each use. */
export type AppsUrl = string | (() => string);

/** The URL to use now. */
export function appsUrlNow(u: AppsUrl): string {
  return typeof u === 'string' ? u : u();
}

export interface AppsLocator {
  readonly url: AppsUrl;
  close(): Promise<void>;
}

/** A locator for `--apps` (an http(s) URL, or a zk:// URL of an HA apps group). */
export async function locateApps(apps: string, clock: Clock, sessionTimeoutMs = 10_000): Promise<AppsLocator> {
  if (!isZkUrl(apps)) return { url: apps, close: async () => undefined };
  const detector = await ZkGroupDetector.follow<FrameworkMember>(electionUrl(parseZkUrl(apps)), { sessionTimeoutMs, clock }, parseMember);
  return {
    url: () => {
      const leader = detector.leader;
      if (leader === undefined) throw new Error(`no apps leader known in ${apps}`);
      return leader.url;
    },
    close: () => detector.close(),
  };
}
