import type { TimerHandle } from '@pando/common';
import type { Resources } from '@pando/resources';

/**
 * One outstanding offer: resources of one agent allocated to one framework in one role, until
 * the framework accepts or declines it, or the master rescinds it. `resources` is the very bag
 * the allocator handed out (shared with its books): never mutate it.
 */
export interface OfferRecord {
  readonly id: string;
  readonly frameworkId: string;
  readonly agentId: string;
  readonly role: string;
  readonly resources: Resources;
  /** ms since the epoch. */
  readonly createdAt: number;
  /** Set when offers time out (--offer-timeout-ms). */
  timer?: TimerHandle;
}
