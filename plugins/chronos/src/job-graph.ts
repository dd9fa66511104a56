import { ConflictError, InputError, NotFoundError } from '@pando/common';

/** A job as the dependency graph sees it: its name and its parents (none for a scheduled job). */
export interface GraphNode {
  readonly name: string;
  readonly parents: readonly string[];
}

/** When each parent last completed (epoch ms; see `parentCompletedAtMs`), by name. */
export type ParentCompletionTimes = ReadonlyMap<string, number | undefined> | Readonly<Record<string, number | undefined>>;

/** The last outcome of a job, as Chronos names it in the graph CSV and the summary. */
export type LastStatus = 'success' | 'failure' | 'fresh';

/** What the CSV renderer needs to know about each job. */
export interface GraphNodeStatus {
  readonly lastStatus: LastStatus;
  /** Chronos: `idle`, `queued`, `running` or `<n> running`. */
  readonly state: string;
}

/**
 * The dependency DAG of jobs: parent -> child edges. Every change is checked before anything
 * changes: a parent that does not exist, or an edge that would close a cycle, is refused with an
 * InputError (400) that names the unknown parents or the cycle's path.
 */
export class JobGraph {
  private readonly parentsByName = new Map<string, readonly string[]>();
  private readonly childrenByName = new Map<string, Set<string>>();

  /**
   * Builds a graph from stored jobs, in any order. A job whose parents are missing or would close
   * a cycle (a store written by something else) does not stop the load: it is kept without
   * parents, so that it never runs as a dependent, and reported in `rejected` for the caller to
   * log and disable.
   */
  static load(nodes: Iterable<GraphNode>): { graph: JobGraph; rejected: Array<{ name: string; problems: string[] }> } {
    const graph = new JobGraph();
    const pending = [...nodes];
    for (const node of pending) graph.attach({ name: node.name, parents: [] });
    const rejected: Array<{ name: string; problems: string[] }> = [];
    for (const node of pending) {
      const problems = graph.check(node);
      if (problems.length > 0) rejected.push({ name: node.name, problems });
      else graph.put(node);
    }
    return { graph, rejected };
  }

  has(name: string): boolean {
    return this.parentsByName.has(name);
  }

  /** Every job name, sorted. */
  names(): string[] {
    return [...this.parentsByName.keys()].sort();
  }

  parentsOf(name: string): readonly string[] {
    return this.parentsByName.get(name) ?? [];
  }

  /** The jobs that list `name` as a parent, sorted. */
  childrenOf(name: string): string[] {
    return [...(this.childrenByName.get(name) ?? [])].sort();
  }

  /** Every parent -> child edge, sorted by parent then child. */
  edges(): Array<[parent: string, child: string]> {
    return this.names().flatMap((parent) => this.childrenOf(parent).map((child): [string, string] => [parent, child]));
  }

  /** What would be wrong with adding or replacing this job, without changing anything. */
  check(node: GraphNode): string[] {
    const problems: string[] = [];
    const unknown = node.parents.filter((p) => p !== node.name && !this.has(p));
    if (unknown.length > 0) {
      problems.push(`parents: unknown parent job${unknown.length > 1 ? 's' : ''} ${unknown.map((p) => `'${p}'`).join(', ')}`);
    }
    for (const parent of new Set(node.parents)) {
      const path = parent === node.name ? [node.name] : this.pathDown(node.name, parent);
      if (path) problems.push(`parents: '${parent}' would close a dependency cycle: ${[...path, node.name].join(' -> ')}`);
    }
    return problems;
  }

  /** Adds a job or replaces its parents. Throws InputError (nothing changed) if that is not possible. */
  put(node: GraphNode): void {
    const problems = this.check(node);
    if (problems.length > 0) throw new InputError(`job '${node.name}': ${problems.join('; ')}`, problems);
    this.detach(node.name);
    this.attach(node);
  }

  /**
   * Removes a job. Like Chronos, its children inherit its parents (a -> b -> c without b is
   * a -> c); the children whose parents changed are returned so the caller can store them.
   * Chronos turned a child of a deleted *scheduled* job into a scheduled job with the parent's
   * schedule; Pando refuses instead (ConflictError, 409): that would invent a schedule nobody posted.
   */
  remove(name: string): { reparented: GraphNode[] } {
    if (!this.has(name)) throw new NotFoundError(`job '${name}' not found`);
    const inherited = this.parentsOf(name);
    const reparented = this.childrenOf(name).map((child) => ({
      name: child,
      parents: [...new Set([...this.parentsOf(child).filter((p) => p !== name), ...inherited])],
    }));
    const orphans = reparented.filter((child) => child.parents.length === 0).map((child) => `'${child.name}'`);
    if (orphans.length > 0) {
      throw new ConflictError(
        `cannot delete job '${name}': dependent job${orphans.length > 1 ? 's' : ''} ${orphans.join(', ')} would have no parent left; delete or re-parent them first`,
      );
    }
    for (const child of reparented) this.detach(child.name);
    this.detach(name);
    this.parentsByName.delete(name);
    this.childrenByName.delete(name);
    for (const child of reparented) this.attach(child);
    return { reparented };
  }

  /** True when every parent of `child` has completed since the child's last run started. */
  readyToRun(child: string, parentCompletedAtMs: ParentCompletionTimes, childLastRunStartMs?: number): boolean {
    return isReadyToRun(this.parentsOf(child), parentCompletedAtMs, childLastRunStartMs);
  }

  /** A path from `from` down to `to` following parent -> child edges, or undefined. */
  private pathDown(from: string, to: string): string[] | undefined {
    const cameFrom = new Map<string, string>();
    const queue = [from];
    const seen = new Set([from]);
    while (queue.length > 0) {
      const current = queue.shift()!;
      if (current === to) {
        const path = [to];
        for (let at = to; at !== from; ) path.unshift((at = cameFrom.get(at)!));
        return path;
      }
      for (const child of this.childrenOf(current)) {
        if (seen.has(child)) continue;
        seen.add(child);
        cameFrom.set(child, current);
        queue.push(child);
      }
    }
    return undefined;
  }

  private attach(node: GraphNode): void {
    const parents = [...new Set(node.parents)];
    this.parentsByName.set(node.name, parents);
    if (!this.childrenByName.has(node.name)) this.childrenByName.set(node.name, new Set());
    for (const parent of parents) this.childrenByName.get(parent)?.add(node.name);
  }

  private detach(name: string): void {
    for (const parent of this.parentsOf(name)) this.childrenByName.get(parent)?.delete(name);
  }
}

/**
 * The dependency rule: a dependent job runs once every parent has completed (succeeded; or
 * failed, for a parent with `softError`) after the child's last run started. A child that never
 * ran needs each parent to have completed once.
 */
export function isReadyToRun(parents: readonly string[], parentCompletedAtMs: ParentCompletionTimes, childLastRunStartMs?: number): boolean {
  if (parents.length === 0) return false;
  const lookup = (parent: string): number | undefined =>
    parentCompletedAtMs instanceof Map ? parentCompletedAtMs.get(parent) : (parentCompletedAtMs as Record<string, number | undefined>)[parent];
  return parents.every((parent) => {
    const completedAt = lookup(parent);
    return completedAt !== undefined && (childLastRunStartMs === undefined || completedAt > childLastRunStartMs);
  });
}

/**
 * `GET /v1/scheduler/graph/csv`, as Chronos writes it: a `node,<name>,<lastStatus>,<state>` line
 * per job, then a `link,<parent>,<child>` line per edge. Names cannot contain commas or newlines.
 */
export function renderGraphCsv(graph: JobGraph, statusOf: (name: string) => GraphNodeStatus): string {
  const nodes = graph.names().map((name) => {
    const status = statusOf(name);
    return `node,${name},${status.lastStatus},${status.state}\n`;
  });
  const links = graph.edges().map(([parent, child]) => `link,${parent},${child}\n`);
  return [...nodes, ...links].join('');
}

/**
 * `GET /v1/scheduler/graph/dot`, shaped like the DOT Chronos produced (jgrapht's exporter):
 * numbered vertices labelled with the job name, then the edges.
 */
export function renderGraphDot(graph: JobGraph): string {
  const names = graph.names();
  const ids = new Map(names.map((name, i) => [name, i + 1]));
  const vertices = names.map((name) => `  ${ids.get(name)} [ label="${name.replace(/["\\]/g, '\\$&')}" ];\n`);
  const edges = graph.edges().map(([parent, child]) => `  ${ids.get(parent)} -> ${ids.get(child)};\n`);
  return `digraph G {\n${vertices.join('')}${edges.join('')}}\n`;
}
