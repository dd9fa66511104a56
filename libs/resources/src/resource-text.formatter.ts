import { formatMillis, fromMillis } from './scalar';
import { formatRanges } from './ranges';
import { reservationText } from './reservation';
import { sortedItems, type ResourceEntry } from './resource-entry';
import { UNRESERVED_ROLE } from './resource.types';

// Items made only of these characters print bare; anything else is written as a JSON string.
const BARE_ITEM = /^[a-zA-Z0-9_.\-/@+=:]+$/;

/** One token of the text form, e.g. `cpus(web):2`, `ports:[1-2]`, `disks:{a,"b c"}`. */
export function formatEntryText(entry: ResourceEntry): string {
  return `${formatHead(entry)}:${formatValue(entry)}`;
}

function formatHead(entry: ResourceEntry): string {
  if (entry.role === UNRESERVED_ROLE) return entry.name;
  if (!entry.reservation) return `${entry.name}(${entry.role})`;
  return `${entry.name}(${entry.role},${reservationText(entry.reservation)})`;
}

function formatValue(entry: ResourceEntry): string {
  switch (entry.kind) {
    case 'SCALAR':
      return formatMillis(entry.millis);
    case 'RANGES':
      return formatRanges(entry.ranges);
    case 'SET':
      return `{${sortedItems(entry.items).map(formatItem).join(',')}}`;
  }
}

function formatItem(item: string): string {
  return BARE_ITEM.test(item) ? item : JSON.stringify(item);
}

/**
 * Value as Mesos shows it in /master/state: scalars as numbers, ranges and sets as strings with
 * ", " between elements (Mesos' own stringification).
 */
export function formatStateValue(entry: ResourceEntry): number | string {
  switch (entry.kind) {
    case 'SCALAR':
      return fromMillis(entry.millis);
    case 'RANGES':
      return formatRanges(entry.ranges, ', ');
    case 'SET':
      return `{${sortedItems(entry.items).join(', ')}}`;
  }
}
