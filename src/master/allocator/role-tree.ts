/**
 * The role tree (spec §6.5): roles are `/`-separated paths; DRF runs between the children of each node, and a
 * node's allocation includes its whole subtree. A node that has frameworks of its own and also children
 * competes with those children through a virtual leaf `<role>/.` ('.' is never a valid role component)
 * holding only its own allocation.
 *
 * `order()` flattens the tree in DRF order (children sorted at each level, recursively) into the sequence of
 * roles whose frameworks the cycle visits. It is cached until an allocation or the tree changes; with flat
 * roles it is one sorter snapshot. Every allocation costs one sorter update per level of the role's path.
 */
import { DrfSorter } from './sorter/drf.js';
import type { ClusterTotals, Vec } from './sorter/totals.js';
import { addVec } from './sorter/totals.js';

interface RoleNode {
  readonly path: string;
  readonly parent: RoleNode | undefined;
  readonly children: Set<RoleNode>;
  /** Sorter over the children (and the virtual leaf); exists only while there are children. */
  sorter: DrfSorter | undefined;
  /** Allocation of this role itself, and of the whole subtree (thousandths by slot). */
  readonly own: Vec;
  readonly subtree: Vec;
  ownCount: number;
  subtreeCount: number;
  /** Number of holders (framework sorters) keeping this node alive. */
  refs: number;
}

const LEAF = '/.';

/** Parent path of a role ('' for a top-level role). */
export function parentRole(role: string): string {
  const i = role.lastIndexOf('/');
  return i < 0 ? '' : role.slice(0, i);
}

/** The role and all its ancestors, top-level first: `a/b/c` → [`a`, `a/b`, `a/b/c`]. */
export function roleAndAncestors(role: string): string[] {
  const out: string[] = [];
  let i = role.indexOf('/');
  while (i >= 0) {
    out.push(role.slice(0, i));
    i = role.indexOf('/', i + 1);
  }
  out.push(role);
  return out;
}

/** Hierarchical DRF over roles; see the module comment. */
export class RoleTree {
  private readonly nodes = new Map<string, RoleNode>();
  private readonly root: DrfSorter;
  private readonly weights = new Map<string, number>();
  private cached: readonly string[] | undefined;

  constructor(private readonly totals: ClusterTotals) {
    this.root = new DrfSorter(new Set(), totals);
  }

  /** Sets a role's weight (> 0); applies now and to nodes created later. */
  setWeight(role: string, weight: number): void {
    if (!(weight > 0)) return;
    this.weights.set(role, weight);
    const node = this.nodes.get(role);
    if (node === undefined) return;
    this.sorterOf(node.parent).setWeight(role, weight);
    node.sorter?.setWeight(role + LEAF, weight);
    this.cached = undefined;
  }

  weight(role: string): number {
    return this.weights.get(role) ?? 1;
  }

  /** Weights set explicitly (for `/weights`). */
  explicitWeights(): ReadonlyMap<string, number> {
    return this.weights;
  }

  /** Keeps a role (and its ancestors) in the tree until the matching `release`. */
  retain(role: string): void {
    this.ensure(role).refs++;
  }

  /** Drops one hold on a role; a node with no holds, no children and nothing allocated goes away. */
  release(role: string): void {
    const node = this.nodes.get(role);
    if (node === undefined) return;
    node.refs = Math.max(0, node.refs - 1);
    this.prune(node);
  }

  has(role: string): boolean {
    return this.nodes.has(role);
  }

  /** Every role in the tree (ancestors included). */
  roles(): IterableIterator<string> {
    return this.nodes.keys();
  }

  /** Allocation of a role including its subtree (thousandths by slot); undefined for an unknown role. */
  subtreeAllocation(role: string): readonly number[] | undefined {
    return this.nodes.get(role)?.subtree;
  }

  /** Weighted dominant share of a role's subtree allocation. */
  share(role: string): number {
    const node = this.nodes.get(role);
    return node === undefined ? 0 : this.totals.dominantShare(node.subtree) / this.weight(role);
  }

  /** Records an allocation (vector from the shared ClusterTotals) to role; counts as one allocation. */
  allocated(role: string, delta: readonly number[]): void {
    this.change(this.ensure(role), delta, 1);
  }

  /** Records resources coming back from role; clamped at zero. */
  unallocated(role: string, delta: readonly number[]): void {
    const node = this.nodes.get(role);
    if (node === undefined) return;
    this.change(node, delta, -1);
    this.prune(node);
  }

  /** Roles in hierarchical DRF order (see the module comment). The array is a snapshot. */
  order(): readonly string[] {
    if (this.cached !== undefined && !this.totalsMoved()) return this.cached;
    const out: string[] = [];
    this.flatten(this.root, out);
    this.cached = out;
    this.seenVersion = this.totals.version;
    return out;
  }

  private seenVersion = -1;

  private totalsMoved(): boolean {
    return this.seenVersion !== this.totals.version;
  }

  private flatten(sorter: DrfSorter, out: string[]): void {
    for (const name of sorter.sort()) {
      if (name.endsWith(LEAF)) {
        out.push(name.slice(0, -LEAF.length));
        continue;
      }
      const node = this.nodes.get(name);
      if (node === undefined) continue;
      if (node.sorter === undefined) out.push(name);
      else this.flatten(node.sorter, out);
    }
  }

  private sorterOf(parent: RoleNode | undefined): DrfSorter {
    return parent === undefined ? this.root : (parent.sorter as DrfSorter);
  }

  private change(node: RoleNode, delta: readonly number[], sign: 1 | -1): void {
    addVec(node.own, delta, sign);
    if (sign === 1) node.ownCount++;
    if (node.sorter !== undefined) {
      if (sign === 1) node.sorter.allocatedVec(node.path + LEAF, delta);
      else node.sorter.unallocatedVec(node.path + LEAF, delta);
    }
    for (let n: RoleNode | undefined = node; n !== undefined; n = n.parent) {
      addVec(n.subtree, delta, sign);
      if (sign === 1) n.subtreeCount++;
      const s = this.sorterOf(n.parent);
      if (sign === 1) s.allocatedVec(n.path, delta);
      else s.unallocatedVec(n.path, delta);
    }
    this.cached = undefined;
  }

  private ensure(role: string): RoleNode {
    const existing = this.nodes.get(role);
    if (existing !== undefined) return existing;
    const parentPath = parentRole(role);
    const parent = parentPath === '' ? undefined : this.ensure(parentPath);
    const node: RoleNode = { path: role, parent, children: new Set(), sorter: undefined, own: [], subtree: [], ownCount: 0, subtreeCount: 0, refs: 0 };
    this.nodes.set(role, node);
    if (parent !== undefined) {
      if (parent.sorter === undefined) {
        // The parent becomes an inner node: its own allocation moves to its virtual leaf.
        parent.sorter = new DrfSorter(new Set(), this.totals);
        parent.sorter.setWeight(parent.path + LEAF, this.weight(parent.path));
        parent.sorter.add(parent.path + LEAF, parent.own, parent.ownCount);
      }
      parent.children.add(node);
    }
    const s = this.sorterOf(parent);
    const w = this.weights.get(role);
    if (w !== undefined) s.setWeight(role, w);
    s.add(role);
    this.cached = undefined;
    return node;
  }

  private prune(node: RoleNode): void {
    for (let n: RoleNode | undefined = node; n !== undefined; ) {
      if (n.refs > 0 || n.children.size > 0 || n.subtree.some((x) => x > 0)) return;
      const parent: RoleNode | undefined = n.parent;
      this.sorterOf(parent).remove(n.path);
      this.nodes.delete(n.path);
      if (parent !== undefined) {
        parent.children.delete(n);
        if (parent.children.size === 0) parent.sorter = undefined;
      }
      this.cached = undefined;
      n = parent;
    }
  }
}
