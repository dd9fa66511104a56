import type { FrameworkState } from './allocator.state';
import { DrfSorter, type ClusterTotals, type SorterClient } from './drf-sorter';
import type { QuotaState } from './quota';
import { addVector, isZeroVector, subtractVector, type ScalarVector } from './scalar-space';

/**
 * One role in the hierarchy (`eng`, `eng/web`). Its `childSorter` orders its children by
 * their subtree allocation plus a `selfEntry` standing for the frameworks registered in exactly
 * this role (Mesos' virtual "." leaf), so a role that has both frameworks and sub-roles competes
 * with its children on equal terms. Parents aggregate: `entry.allocation` is the whole subtree.
 */
export class RoleNode {
  readonly children = new Map<string, RoleNode>();
  readonly childSorter: DrfSorter<RoleNode>;
  readonly selfEntry: SorterClient<RoleNode>;
  /** This node in its parent's childSorter; null for the root. */
  readonly entry: SorterClient<RoleNode> | null;
  readonly frameworks: DrfSorter<FrameworkState>;
  /** Frameworks with a client in `frameworks`, active or not. */
  trackedFrameworks = 0;
  /** Reserved scalars in agent totals for this subtree, allocated or not (quota consumption). */
  readonly reserved: ScalarVector = [];
  /** The allocated part of the subtree's allocation that is reserved. */
  readonly allocatedReserved: ScalarVector = [];
  quota: QuotaState | null = null;

  constructor(
    readonly path: string,
    readonly parent: RoleNode | null,
    totals: ClusterTotals,
    weight: number,
  ) {
    this.childSorter = new DrfSorter(totals);
    this.selfEntry = this.childSorter.client(this, weight);
    this.entry = parent ? parent.childSorter.client(this, weight) : null;
    this.frameworks = new DrfSorter(totals);
  }

  /** Scalars allocated in this subtree. */
  get allocation(): ScalarVector {
    return this.entry ? this.entry.allocation : this.selfEntry.allocation;
  }
}

/** Parent of a role path: 'eng' for 'eng/web', '' (the root) for 'eng'. */
function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/**
 * The role hierarchy with weights. Keeps the sort orders of every level in step with grants
 * and recoveries, and keeps a role (and its ancestors) in its parent's order only while some
 * framework below it wants offers, so the allocation loop never walks idle branches.
 */
export class RoleTree {
  readonly root: RoleNode;
  private readonly nodes = new Map<string, RoleNode>();
  private readonly weights = new Map<string, number>();

  constructor(private readonly totals: ClusterTotals) {
    this.root = new RoleNode('', null, totals, 1);
  }

  get(path: string): RoleNode | undefined {
    return this.nodes.get(path);
  }

  all(): IterableIterator<RoleNode> {
    return this.nodes.values();
  }

  weightOf(path: string): number {
    return this.weights.get(path) ?? 1;
  }

  weightedRoles(): IterableIterator<string> {
    return this.weights.keys();
  }

  /** The node of `path`, creating it and its ancestors (like `mkdir -p`). */
  ensure(path: string): RoleNode {
    const existing = this.nodes.get(path);
    if (existing) return existing;
    const parentOf = parentPath(path);
    const parent = parentOf === '' ? this.root : this.ensure(parentOf);
    const node = new RoleNode(path, parent, this.totals, this.weightOf(path));
    parent.children.set(path, node);
    this.nodes.set(path, node);
    return node;
  }

  setWeight(path: string, weight: number): void {
    if (weight === 1) this.weights.delete(path);
    else this.weights.set(path, weight);
    const node = this.nodes.get(path);
    if (!node) return;
    node.childSorter.setWeight(node.selfEntry, weight);
    if (node.entry) node.parent!.childSorter.setWeight(node.entry, weight);
  }

  /** Books a grant to frameworks of `node` on every level up to the root. */
  allocated(node: RoleNode, vector: ScalarVector, reserved: ScalarVector | null): void {
    node.childSorter.allocated(node.selfEntry, vector);
    for (let n: RoleNode = node; n.entry !== null; n = n.parent!) {
      n.parent!.childSorter.allocated(n.entry, vector);
      if (reserved) addVector(n.allocatedReserved, reserved);
    }
  }

  unallocated(node: RoleNode, vector: ScalarVector, reserved: ScalarVector | null): void {
    node.childSorter.unallocated(node.selfEntry, vector);
    for (let n: RoleNode = node; n.entry !== null; n = n.parent!) {
      n.parent!.childSorter.unallocated(n.entry, vector);
      if (reserved) subtractVector(n.allocatedReserved, reserved);
    }
  }

  addReservation(role: string, vector: ScalarVector): void {
    for (let n: RoleNode = this.ensure(role); n.entry !== null; n = n.parent!) addVector(n.reserved, vector);
  }

  removeReservation(role: string, vector: ScalarVector): void {
    const node = this.nodes.get(role);
    if (!node) return;
    for (let n: RoleNode = node; n.entry !== null; n = n.parent!) subtractVector(n.reserved, vector);
    this.prune(node);
  }

  /**
   * Re-derives, after a framework client of `node` was (de)activated, whether `node` and its
   * ancestors belong in their parents' sort orders. Stops as soon as a level is unchanged.
   */
  syncActivity(node: RoleNode): void {
    if (node.frameworks.activeCount > 0) node.childSorter.activate(node.selfEntry);
    else node.childSorter.deactivate(node.selfEntry);
    for (let n: RoleNode = node; n.entry !== null; n = n.parent!) {
      const wanted = n.childSorter.activeCount > 0;
      if (wanted === n.entry.active) return;
      if (wanted) n.parent!.childSorter.activate(n.entry);
      else n.parent!.childSorter.deactivate(n.entry);
    }
  }

  /** Forgets `node` and then its ancestors while nothing refers to them any more. */
  prune(node: RoleNode): void {
    for (let n: RoleNode = node; n !== this.root; n = n.parent!) {
      const idle = n.trackedFrameworks === 0 && n.children.size === 0 && n.quota === null && isZeroVector(n.reserved);
      if (!idle) return;
      n.parent!.childSorter.deactivate(n.entry!);
      n.parent!.children.delete(n.path);
      this.nodes.delete(n.path);
    }
  }
}
