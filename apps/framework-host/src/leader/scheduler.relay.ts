import type { Offer, TaskStatus } from '@pando/protocol';
import type { FailureInfo, FrameworkMessage, Scheduler, SchedulerDriver, SubscribedInfo } from '@pando/sdk';

export interface RelayHooks {
  /** Before the plugin hears `subscribed`: persist the framework id. A rejection is logged by the driver. */
  subscribed(info: SubscribedInfo): Promise<void>;
  /** After the plugin heard `error`: the framework is refused or removed. */
  error(message: string): void | Promise<void>;
}

/**
 * The scheduler the driver is built with. The driver must exist before the plugin's Nest app (it
 * is in the context the plugin injects), and the plugin's scheduler is built by that app: the
 * relay breaks the cycle, forwarding every callback to the scheduler once it is attached. The
 * driver is started only after that, so no callback arrives before.
 */
export class SchedulerRelay implements Scheduler {
  private target: Scheduler | undefined;

  constructor(private readonly hooks: RelayHooks) {}

  attach(scheduler: Scheduler): void {
    this.target = scheduler;
  }

  async subscribed(driver: SchedulerDriver, info: SubscribedInfo): Promise<void> {
    await this.hooks.subscribed(info);
    await this.scheduler().subscribed?.(driver, info);
  }

  offers(driver: SchedulerDriver, offers: Offer[]): void | Promise<void> {
    return this.scheduler().offers(driver, offers);
  }

  rescinded(driver: SchedulerDriver, offerId: string): void | Promise<void> {
    return this.scheduler().rescinded?.(driver, offerId);
  }

  update(driver: SchedulerDriver, status: TaskStatus): void | Promise<void> {
    return this.scheduler().update(driver, status);
  }

  message(driver: SchedulerDriver, message: FrameworkMessage): void | Promise<void> {
    return this.scheduler().message?.(driver, message);
  }

  failure(driver: SchedulerDriver, failure: FailureInfo): void | Promise<void> {
    return this.scheduler().failure?.(driver, failure);
  }

  disconnected(driver: SchedulerDriver): void | Promise<void> {
    return this.scheduler().disconnected?.(driver);
  }

  async error(driver: SchedulerDriver, message: string): Promise<void> {
    try {
      await this.scheduler().error?.(driver, message);
    } finally {
      await this.hooks.error(message);
    }
  }

  private scheduler(): Scheduler {
    if (!this.target) throw new Error('scheduler relay: no scheduler attached yet (the driver was started too early)');
    return this.target;
  }
}
