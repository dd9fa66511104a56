import { Inject, Injectable } from '@nestjs/common';
import { describeError } from '@pando/common';
import { FRAMEWORK_PLUGIN_CONTEXT, type FrameworkPluginContext } from '@pando/sdk';

/** Least time between two REVIVEs caused by new demand (each clears every decline filter). */
export const MIN_REVIVE_GAP_MS = 1000;

/**
 * Whether the framework wants offers: SUPPRESS when nothing waits to be launched, REVIVE when
 * something does again (which also clears the long decline filters of offers refused while
 * idle). The master forgets a suppression on failover, so the state is sent again after every
 * subscription.
 */
@Injectable()
export class OfferFlow {
  /** What the master was last told (undefined: nothing yet in this subscription). */
  private told: 'suppressed' | 'revived' | undefined;
  private wanted = false;
  private lastReviveAt = Number.NEGATIVE_INFINITY;
  private sending: Promise<void> | undefined;
  revives = 0;
  suppressions = 0;

  constructor(@Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext) {}

  get wantsOffers(): boolean {
    return this.wanted;
  }

  get suppressed(): boolean {
    return this.told === 'suppressed';
  }

  /**
   * The demand as of now. `grew`: some app has more to launch than before, which deserves a
   * REVIVE even when offers were never suppressed (its agents may sit behind decline filters).
   */
  update(wanted: boolean, grew: boolean): void {
    const was = this.wanted;
    this.wanted = wanted;
    const now = this.context.clock.now();
    if (wanted && (this.told !== 'revived' || (grew && now - this.lastReviveAt >= MIN_REVIVE_GAP_MS) || !was)) {
      this.send('revive');
    } else if (!wanted && this.told !== 'suppressed') {
      this.send('suppress');
    }
  }

  /** A new subscription: the master knows nothing of our state. */
  subscribed(): void {
    this.told = undefined;
    this.send(this.wanted ? 'revive' : 'suppress');
  }

  private send(what: 'revive' | 'suppress'): void {
    const driver = this.context.driver;
    if (driver.state !== 'subscribed') return;
    this.told = what === 'revive' ? 'revived' : 'suppressed';
    if (what === 'revive') {
      this.lastReviveAt = this.context.clock.now();
      this.revives++;
    } else this.suppressions++;
    const call = what === 'revive' ? driver.revive() : driver.suppress();
    this.sending = call.then(
      () => undefined,
      (err: unknown) => {
        // Unknown outcome: say it again next time.
        this.told = undefined;
        this.context.log.warn({ err: describeError(err) }, `${what.toUpperCase()} failed: ${describeError(err)}`);
      },
    );
  }

  /** Resolves when the last call was answered (tests). */
  async settled(): Promise<void> {
    await this.sending;
  }
}
