import { addVector, dominantShare, subtractVector, type ScalarVector } from './scalar-space';

/**
 * The cluster-wide scalar total that shares are measured against. `version` changes whenever
 * the total does, which tells every sorter that all of its shares are stale.
 */
export interface ClusterTotals {
  readonly vector: ScalarVector;
  version: number;
}

let nextSeq = 0;

/** One sorted thing (a role, or a framework within a role) and its running allocation. */
export class SorterClient<T> {
  /** Weighted dominant share; only meaningful while active. */
  share = 0;
  active = false;
  /** Scratch for the allocation cycle: the agent visit in which this client last got resources. */
  stamp = -1;
  readonly allocation: ScalarVector = [];
  /** Tie-breaker: equal shares sort in creation order, so sorting is deterministic. */
  readonly seq = nextSeq++;

  constructor(
    readonly owner: T,
    public weight: number,
  ) {}
}

function before<T>(a: SorterClient<T>, b: SorterClient<T>): boolean {
  return a.share < b.share || (a.share === b.share && a.seq < b.seq);
}

/**
 * Weighted DRF ordering of clients, kept sorted incrementally: a change to one client's
 * allocation re-positions that client only (binary search plus a shift), instead of re-sorting
 * everything as a naive sorter would on every grant. Only active clients are in the order;
 * inactive ones keep their allocation (it still counts for their parent) but are never offered.
 *
 * When the cluster total changes every share changes, so the whole order is rebuilt lazily, on
 * the next access, once per change of total rather than once per agent added.
 */
export class DrfSorter<T> {
  private readonly order: Array<SorterClient<T>> = [];
  private version = -1;

  constructor(private readonly totals: ClusterTotals) {}

  /** Active clients, lowest share first. A live view: valid until the next mutation. */
  sorted(): ReadonlyArray<SorterClient<T>> {
    this.refresh();
    return this.order;
  }

  get activeCount(): number {
    return this.order.length;
  }

  client(owner: T, weight = 1): SorterClient<T> {
    return new SorterClient(owner, weight);
  }

  activate(client: SorterClient<T>): void {
    if (client.active) return;
    this.refresh();
    client.active = true;
    client.share = this.shareOf(client);
    this.order.splice(this.lowerBound(client, 0, this.order.length), 0, client);
  }

  deactivate(client: SorterClient<T>): void {
    if (!client.active) return;
    this.refresh();
    this.order.splice(this.indexOf(client), 1);
    client.active = false;
  }

  allocated(client: SorterClient<T>, vector: ScalarVector): void {
    if (!client.active) {
      addVector(client.allocation, vector);
      return;
    }
    this.refresh();
    const from = this.indexOf(client);
    addVector(client.allocation, vector);
    client.share = this.shareOf(client);
    this.reposition(client, from);
  }

  unallocated(client: SorterClient<T>, vector: ScalarVector): void {
    if (!client.active) {
      subtractVector(client.allocation, vector);
      return;
    }
    this.refresh();
    const from = this.indexOf(client);
    subtractVector(client.allocation, vector);
    client.share = this.shareOf(client);
    this.reposition(client, from);
  }

  setWeight(client: SorterClient<T>, weight: number): void {
    if (!client.active) {
      client.weight = weight;
      return;
    }
    this.refresh();
    const from = this.indexOf(client);
    client.weight = weight;
    client.share = this.shareOf(client);
    this.reposition(client, from);
  }

  private shareOf(client: SorterClient<T>): number {
    return dominantShare(client.allocation, this.totals.vector, client.weight);
  }

  private refresh(): void {
    if (this.version === this.totals.version) return;
    this.version = this.totals.version;
    for (const client of this.order) client.share = this.shareOf(client);
    this.order.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }

  /** First index in [lo, hi) whose client does not sort before `client`. */
  private lowerBound(client: SorterClient<T>, lo: number, hi: number): number {
    const order = this.order;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(order[mid]!, client)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Position of an active client; its share must still be the one it was sorted by. */
  private indexOf(client: SorterClient<T>): number {
    const index = this.lowerBound(client, 0, this.order.length);
    if (this.order[index] === client) return index;
    // Unreachable while the invariants hold; a linear scan keeps a bug from corrupting order.
    return this.order.indexOf(client);
  }

  /** Moves `client` (whose share just changed) from `from` to its sorted place. */
  private reposition(client: SorterClient<T>, from: number): void {
    const order = this.order;
    if (from > 0 && before(client, order[from - 1]!)) {
      const to = this.lowerBound(client, 0, from);
      for (let k = from; k > to; k--) order[k] = order[k - 1]!;
      order[to] = client;
    } else if (from < order.length - 1 && before(order[from + 1]!, client)) {
      const to = this.lowerBound(client, from + 1, order.length) - 1;
      for (let k = from; k < to; k++) order[k] = order[k + 1]!;
      order[to] = client;
    }
  }
}
