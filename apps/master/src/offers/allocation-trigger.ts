import { Injectable } from '@nestjs/common';

/**
 * Asks for an allocation cycle soon (resources came back, an agent or a framework arrived, a
 * revive). Lets services that free resources reach the loop without depending on the service
 * that owns it; triggers before the loop is attached are dropped (the first cycle sees all).
 */
@Injectable()
export class AllocationTrigger {
  private target: { trigger(): void } | undefined;

  attach(target: { trigger(): void }): void {
    this.target = target;
  }

  detach(): void {
    this.target = undefined;
  }

  trigger(): void {
    this.target?.trigger();
  }
}
