import { isSameOrAncestorRole, isValidResourceName, isValidRole } from './names';
import { unionRanges, type Range } from './ranges';
import { fromMillis, toMillis } from './scalar';
import {
  addIntoEntry,
  cloneEntry,
  compareEntries,
  copyValue,
  entryContains,
  entryFromJson,
  entryToJson,
  entryValuesEqual,
  isEntryEmpty,
  makeEntry,
  sortedItems,
  subtractFromEntry,
  type RangesEntry,
  type ResourceEntry,
} from './resource-entry';
import { ResourceParseError } from './resource-parse.error';
import { formatEntryText, formatStateValue } from './resource-text.formatter';
import { parseResourceText } from './resource-text.parser';
import { UNRESERVED_ROLE, type ResourceJson } from './resource.types';

// /master/state always reports these, even at zero, because UIs and tools index them blindly.
const STATE_SCALARS = ['cpus', 'mem', 'disk', 'gpus'] as const;

/**
 * A bag of Mesos resources keyed by (name, kind, role, reservation). Empty entries are never
 * stored, so size and equality need no normalisation. Methods return new bags except the
 * `*InPlace` ones, which exist for the allocator's hot loop.
 */
export class Resources {
  private constructor(private readonly entries: Map<string, ResourceEntry>) {}

  static empty(): Resources {
    return new Resources(new Map());
  }

  /** Parses the Mesos text form; throws ResourceParseError listing every problem. */
  static parse(text: string): Resources {
    const { entries, problems } = parseResourceText(text);
    if (problems.length > 0) throw new ResourceParseError(text, problems);
    const bag = Resources.empty();
    for (const entry of entries) bag.addEntry(entry, false);
    return bag;
  }

  /** Builds from wire JSON; trusts validated input (see resourcesJsonSchema), merges duplicates. */
  static fromJson(json: readonly ResourceJson[]): Resources {
    const bag = Resources.empty();
    for (const resource of json) bag.addEntry(entryFromJson(resource), false);
    return bag;
  }

  /** Convenience for scalars: `Resources.scalars({ cpus: 1, mem: 128 }, 'web')`. */
  static scalars(values: Record<string, number>, role: string = UNRESERVED_ROLE): Resources {
    const problems: string[] = [];
    if (!isValidRole(role)) problems.push(`invalid role '${role}'`);
    for (const [name, value] of Object.entries(values)) {
      if (!isValidResourceName(name)) problems.push(`invalid name '${name}'`);
      if (!Number.isFinite(value) || value < 0) problems.push(`${name}: ${value} is not a non-negative number`);
    }
    if (problems.length > 0) throw new RangeError(`invalid scalar resources: ${problems.join('; ')}`);
    const bag = Resources.empty();
    for (const [name, value] of Object.entries(values)) {
      bag.addEntry(makeEntry({ name, role }, { kind: 'SCALAR', millis: toMillis(value) }), false);
    }
    return bag;
  }

  toJson(): ResourceJson[] {
    return this.sortedEntries().map(entryToJson);
  }

  /** Lets JSON.stringify (and loggers) print the wire form instead of an empty Map. */
  toJSON(): ResourceJson[] {
    return this.toJson();
  }

  /** Mesos text form; parse(toString()) gives an equal bag. */
  toString(): string {
    return this.sortedEntries().map(formatEntryText).join(';');
  }

  /** The /master/state shape: all roles summed, cpus/mem/disk/gpus always present. */
  toStateJson(): Record<string, number | string> {
    const state: Record<string, number | string> = {};
    for (const name of STATE_SCALARS) state[name] = 0;
    for (const entry of this.flatten().sortedEntries()) state[entry.name] = formatStateValue(entry);
    return state;
  }

  isEmpty(): boolean {
    return this.entries.size === 0;
  }

  add(other: Resources): Resources {
    return this.copy().addInPlace(other);
  }

  /** Clamps scalars at zero; removes ranges and set items found in `other`; drops emptied entries. */
  subtract(other: Resources): Resources {
    return this.copy().subtractInPlace(other);
  }

  /** Mutating add: no new Resources object, entries of `other` are copied, never shared. */
  addInPlace(other: Resources): this {
    for (const entry of other.entries.values()) this.addEntry(entry, true);
    return this;
  }

  subtractInPlace(other: Resources): this {
    if (other === this) {
      this.entries.clear();
      return this;
    }
    for (const entry of other.entries.values()) {
      const mine = this.entries.get(entry.key);
      if (!mine) continue;
      subtractFromEntry(mine, entry);
      if (isEntryEmpty(mine)) this.entries.delete(entry.key);
    }
    return this;
  }

  /** True when every entry of `other` fits in the entry with the same name, role and reservation. */
  contains(other: Resources): boolean {
    for (const entry of other.entries.values()) {
      const mine = this.entries.get(entry.key);
      if (!mine || !entryContains(mine, entry)) return false;
    }
    return true;
  }

  equals(other: Resources): boolean {
    if (this.entries.size !== other.entries.size) return false;
    for (const entry of other.entries.values()) {
      const mine = this.entries.get(entry.key);
      if (!mine || !entryValuesEqual(mine, entry)) return false;
    }
    return true;
  }

  /** Quantity of a scalar; without `role`, summed over all roles and reservations. */
  scalar(name: string, role?: string): number {
    let millis = 0;
    for (const entry of this.entries.values()) {
      if (entry.kind === 'SCALAR' && entry.name === name && (role === undefined || entry.role === role)) {
        millis += entry.millis;
      }
    }
    return fromMillis(millis);
  }

  /** Ranges of `name` merged over all roles. */
  ranges(name: string): Array<[number, number]> {
    let merged: Range[] = [];
    for (const entry of this.entries.values()) {
      if (entry.kind === 'RANGES' && entry.name === name) merged = unionRanges(merged, entry.ranges);
    }
    return merged.map(([begin, end]) => [begin, end]);
  }

  /** Items of `name` over all roles, sorted. */
  set(name: string): string[] {
    const items = new Set<string>();
    for (const entry of this.entries.values()) {
      if (entry.kind === 'SET' && entry.name === name) for (const item of entry.items) items.add(item);
    }
    return sortedItems(items);
  }

  names(): string[] {
    return sortedItems(new Set([...this.entries.values()].map((entry) => entry.name)));
  }

  /** Strips roles and reservations, merging everything into unreserved ('*') entries. */
  flatten(): Resources {
    const flat = Resources.empty();
    for (const entry of this.entries.values()) {
      flat.addEntry(makeEntry({ name: entry.name }, copyValue(entry)), false);
    }
    return flat;
  }

  /** What a framework in `role` may use: unreserved plus reserved to `role` or an ancestor. */
  allocatableTo(role: string): Resources {
    return this.select((entry) => entry.role === UNRESERVED_ROLE || isSameOrAncestorRole(entry.role, role));
  }

  /** Resources reserved to exactly `role`; empty for '*' (unreserved is not a reservation). */
  reservedTo(role: string): Resources {
    return this.select((entry) => entry.role !== UNRESERVED_ROLE && entry.role === role);
  }

  unreserved(): Resources {
    return this.select((entry) => entry.role === UNRESERVED_ROLE);
  }

  filter(pred: (r: ResourceJson) => boolean): Resources {
    return this.select((entry) => pred(entryToJson(entry)));
  }

  /**
   * The lowest `count` ports, keeping each port's role and reservation so the result can be
   * subtracted from this bag; undefined when there are fewer than `count` ports.
   */
  takePorts(count: number): Resources | undefined {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`port count must be a non-negative integer, got ${count}`);
    const pieces: Array<{ entry: RangesEntry; range: Range }> = [];
    for (const entry of this.entries.values()) {
      if (entry.kind === 'RANGES' && entry.name === 'ports') for (const range of entry.ranges) pieces.push({ entry, range });
    }
    pieces.sort((a, b) => a.range[0] - b.range[0]);
    const taken = Resources.empty();
    let remaining = count;
    // Two roles could hold the same port number; `next` makes sure each number is taken once.
    let next = 0;
    for (const { entry, range } of pieces) {
      if (remaining === 0) break;
      const begin = Math.max(range[0], next);
      if (begin > range[1]) continue;
      const end = Math.min(range[1], begin + remaining - 1);
      taken.addEntry(makeEntry(entry, { kind: 'RANGES', ranges: [[begin, end]] }), false);
      remaining -= end - begin + 1;
      next = end + 1;
    }
    return remaining === 0 ? taken : undefined;
  }

  /** Adds one entry; `copy` must be true when the caller keeps using the entry elsewhere. */
  private addEntry(entry: ResourceEntry, copy: boolean): void {
    if (isEntryEmpty(entry)) return;
    const mine = this.entries.get(entry.key);
    if (mine) addIntoEntry(mine, entry);
    else this.entries.set(entry.key, copy ? cloneEntry(entry) : entry);
  }

  private select(keep: (entry: ResourceEntry) => boolean): Resources {
    const selected = new Map<string, ResourceEntry>();
    for (const [key, entry] of this.entries) if (keep(entry)) selected.set(key, cloneEntry(entry));
    return new Resources(selected);
  }

  private copy(): Resources {
    return this.select(() => true);
  }

  private sortedEntries(): ResourceEntry[] {
    return [...this.entries.values()].sort(compareEntries);
  }
}
