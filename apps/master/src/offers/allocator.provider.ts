import type { FactoryProvider } from '@nestjs/common';
import { createLogger, type Clock } from '@pando/common';
import { OPERATOR_FRAMEWORK_ID } from '@pando/protocol';
import { createAllocator, type Allocator } from '../allocation';
import { ALLOCATOR, CLOCK, MASTER_OPTIONS_TOKEN } from '../master.tokens';
import type { MasterOptions } from '../master.options';

/** The role of the built-in operator framework in the allocator. */
export const OPERATOR_ROLE = '*';

/**
 * The allocator named by --allocator, with the configured weights and quotas, and the built-in
 * operator framework: tasks launched through the operator entry point hold resources like any
 * other, so it is known to the allocator, inactive (never offered anything).
 */
export const allocatorProvider: FactoryProvider<Allocator> = {
  provide: ALLOCATOR,
  inject: [MASTER_OPTIONS_TOKEN, CLOCK],
  useFactory: (options: MasterOptions, clock: Clock) => {
    const log = createLogger('allocator');
    const allocator = createAllocator(options.allocator, { clock });
    if (Object.keys(options.weights).length > 0) allocator.setWeights(options.weights);
    for (const [role, quota] of Object.entries(options.quotas)) allocator.setQuota(role, quota);
    allocator.addFramework(OPERATOR_FRAMEWORK_ID, { roles: [OPERATOR_ROLE] });
    allocator.deactivateFramework(OPERATOR_FRAMEWORK_ID);
    log.info(
      { allocator: options.allocator, weights: options.weights, quotas: Object.keys(options.quotas), intervalMs: options.allocationIntervalMs },
      `allocator '${options.allocator}' ready`,
    );
    return allocator;
  },
};
