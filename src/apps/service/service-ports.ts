/**
 * Service ports (spec §4.10): each port definition with port 0 gets the lowest free port in
 * [min, max], skipping ports used by other apps; an updated app first reuses its own previously assigned
 * in-range ports, so service ports are kept across updates. Explicit ports are kept as given.
 */
import type { AppDefinition, PortDefinition } from '../model/app.js';
import { ApiError } from '../api/errors.js';

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

export const DEFAULT_SERVICE_PORTS: PortRange = { min: 10000, max: 20000 };

/** The app with every 0 service port assigned; throws 422-like ApiError when the range is exhausted. */
export function assignServicePorts(app: AppDefinition, previous: AppDefinition | undefined, usedByOthers: ReadonlySet<number>, range: PortRange = DEFAULT_SERVICE_PORTS): AppDefinition {
  const used = new Set(usedByOthers);
  for (const p of app.portDefinitions) if (p.port !== 0) used.add(p.port);
  const reusable = (previous?.portDefinitions ?? []).map((p) => p.port).filter((p) => p >= range.min && p <= range.max && !used.has(p));
  let next = range.min;
  const portDefinitions: PortDefinition[] = app.portDefinitions.map((p) => {
    if (p.port !== 0) return p;
    let port = reusable.shift();
    if (port === undefined) {
      while (next <= range.max && used.has(next)) next++;
      if (next > range.max) throw new ApiError(422, { message: `All ports in the range [${range.min}-${range.max}) are already in use` });
      port = next;
    }
    used.add(port);
    return { ...p, port };
  });
  return { ...app, portDefinitions };
}
