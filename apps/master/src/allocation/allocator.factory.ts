import { InputError } from '@pando/common';
import type { Allocator, AllocatorOptions } from './allocator.interface';
import { HierarchicalDrfAllocator } from './hierarchical-drf.allocator';

/** Allocator kinds selectable by configuration. */
export const ALLOCATOR_KINDS = ['drf'] as const;
export type AllocatorKind = (typeof ALLOCATOR_KINDS)[number];

/**
 * Builds the allocator named in the master's configuration. Throws `InputError` for an unknown
 * kind, naming the known ones, so a typo in the config fails at start, not at the first offer.
 */
export function createAllocator(kind: AllocatorKind | (string & {}), options: AllocatorOptions = {}): Allocator {
  switch (kind) {
    case 'drf':
      return new HierarchicalDrfAllocator(options);
    default:
      throw new InputError(`unknown allocator '${kind}': expected one of ${ALLOCATOR_KINDS.join(', ')}`);
  }
}
