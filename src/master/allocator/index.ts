/** Public surface of the allocator: the Allocator seam, the DRF implementation and its sorter. */
export type {
  Allocator,
  AllocatorConfig,
  AllocatorEvent,
  FrameworkCapabilities,
  OfferBatch,
  StarvationReport,
} from './allocator.js';
export { DEFAULT_MIN_ALLOCATABLE } from './allocator.js';
export { DrfAllocator } from './drf-allocator.js';
export { meetsMinimum } from './cycle.js';
export type { Quantities, Sorter } from './sorter/sorter.js';
export { DrfSorter, scalarQuantities } from './sorter/drf.js';
export { ClusterTotals } from './sorter/totals.js';
export { RoleTree, roleAndAncestors } from './role-tree.js';
