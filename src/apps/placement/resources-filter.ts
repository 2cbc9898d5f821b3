/** Scalar resources filter: the offer's remaining cpus, mem, disk and gpus cover the app's (spec §4.7). */
import { toMilli } from '../../core/resources.js';
import type { PlacementFilter, RejectReason } from './types.js';

const SCALARS: readonly [('cpus' | 'mem' | 'disk' | 'gpus'), RejectReason][] = [
  ['cpus', 'InsufficientCpus'],
  ['mem', 'InsufficientMemory'],
  ['disk', 'InsufficientDisk'],
  ['gpus', 'InsufficientGpus'],
];

export const resourcesFilter: PlacementFilter = {
  name: 'resources',
  check: (req, slot) => {
    for (const [name, reason] of SCALARS) {
      const want = req.app[name];
      if (want > 0 && toMilli(slot.remaining.scalar(name)) < toMilli(want)) return reason;
    }
    return undefined;
  },
};
