import { Inject, Injectable } from '@nestjs/common';
import { Resources } from '@pando/resources';
import type { Allocator } from '../allocation';
import { ALLOCATOR } from '../master.tokens';
import { OfferBook } from '../offers/offer-book.service';

/**
 * Roles as Mesos's /master/roles shows them: weight, subscribed frameworks, what is allocated
 * (offered or in use) and offered, and the quota with its guarantee, limit and consumption.
 * A role without a quota shows empty guarantee and limit (no guarantee, no limit).
 */
@Injectable()
export class RolesStateView {
  constructor(
    @Inject(ALLOCATOR) private readonly allocator: Allocator,
    private readonly offers: OfferBook,
  ) {}

  build(): Array<Record<string, unknown>> {
    return this.allocator.roleSummaries().map((summary) => {
      const allocated = summary.allocated.toStateJson();
      const guarantee = summary.quota?.guarantee ?? Resources.empty();
      const limit = summary.quota?.limit ?? Resources.empty();
      return {
        name: summary.role,
        weight: summary.weight,
        frameworks: summary.frameworks,
        resources: allocated,
        allocated,
        offered: this.offers.offeredInRole(summary.role).toStateJson(),
        reserved: {},
        quota: { role: summary.role, guarantee: scalars(guarantee), limit: scalars(limit), consumed: allocated },
      };
    });
  }
}

/** Only the names a quota sets (toStateJson would add zero cpus/mem/disk/gpus, which reads as "none"). */
function scalars(resources: Resources): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of resources.names()) out[name] = resources.scalar(name);
  return out;
}
