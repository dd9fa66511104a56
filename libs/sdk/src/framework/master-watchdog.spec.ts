import { FakeClock } from '@pando/testing';
import { MasterWatchdog } from './master-watchdog';

describe('MasterWatchdog', () => {
  it('fires once after the timeout of silence, and each feed restarts the countdown', () => {
    const clock = new FakeClock();
    const onSilence = jest.fn();
    const watchdog = new MasterWatchdog(clock, onSilence);

    watchdog.arm(3000);
    clock.advance(2999);
    watchdog.feed();
    clock.advance(2999);
    expect(onSilence).not.toHaveBeenCalled();
    clock.advance(1);
    expect(onSilence).toHaveBeenCalledTimes(1);

    clock.advance(60_000);
    watchdog.feed(); // not armed any more: feeding does not restart it
    clock.advance(60_000);
    expect(onSilence).toHaveBeenCalledTimes(1);
    expect(watchdog.armed).toBe(false);
  });

  it('does nothing once disarmed', () => {
    const clock = new FakeClock();
    const onSilence = jest.fn();
    const watchdog = new MasterWatchdog(clock, onSilence);
    watchdog.arm(1000);
    watchdog.disarm();
    watchdog.disarm();
    clock.advance(10_000);
    expect(onSilence).not.toHaveBeenCalled();
    expect(clock.pendingTimers()).toBe(0);
  });
});
