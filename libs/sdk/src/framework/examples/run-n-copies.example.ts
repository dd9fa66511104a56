import { connectNats } from '@pando/common';
import { isTerminalState } from '@pando/protocol';
import { Resources } from '@pando/resources';
import { SchedulerDriver, offerResources, taskSpec, type Scheduler, type ValidatedTaskSpec } from '../index';

export interface RunNCopiesOptions {
  natsServers: string[];
  /** Shell line each copy runs, e.g. 'sleep 30'. */
  command: string;
  copies: number;
  /** Per copy, in Mesos text form, e.g. 'cpus:0.1;mem:32'. */
  resources: string;
}

export interface RunningCopies {
  driver: SchedulerDriver;
  /** Resolves when every copy has FINISHED. */
  finished: Promise<void>;
  /** Tears the framework down (kills what still runs) and closes the connection. */
  stop(): Promise<void>;
}

/**
 * The example framework of docs/writing-a-framework.md: runs `copies` copies of `command`,
 * accepting offers until all are launched, declining the rest for an hour and suppressing offers
 * when done; a copy that fails (or is lost) is launched again.
 */
export async function runNCopies(options: RunNCopiesOptions): Promise<RunningCopies> {
  const need = Resources.parse(options.resources);
  const running = new Set<string>(); // launched, not ended yet
  let done = 0;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const missing = (): number => options.copies - done - running.size;

  const scheduler: Scheduler = {
    async offers(driver, offers) {
      for (const offer of offers) {
        let free = offerResources(offer);
        const tasks: ValidatedTaskSpec[] = [];
        while (tasks.length < missing() && free.contains(need)) {
          tasks.push(taskSpec({ name: 'copy', agentId: offer.agentId, resources: need, command: options.command }));
          free = free.subtract(need);
        }
        if (tasks.length === 0) {
          await driver.decline(offer, { refuseSeconds: 3600 });
          continue;
        }
        tasks.forEach((t) => running.add(t.taskId));
        const launched = await driver.launch(offer, tasks).then((r) => !r.refusedOffers?.length, () => false);
        if (!launched) tasks.forEach((t) => running.delete(t.taskId)); // stale offer or no master: later offers
      }
      if (missing() === 0) await driver.suppress();
    },
    async update(driver, status) {
      if (!isTerminalState(status.state) || !running.delete(status.taskId)) return;
      if (status.state !== 'FINISHED') await driver.revive(); // failed or lost: offers again, to relaunch it
      else if (++done === options.copies) allDone();
    },
    async subscribed(driver) {
      if (missing() === 0) await driver.suppress();
    },
  };

  const nc = await connectNats({ servers: options.natsServers }, 'run-n-copies');
  const driver = new SchedulerDriver({ nc, scheduler, frameworkInfo: { name: 'run-n-copies', failoverTimeoutSeconds: 60 } });
  await driver.start();
  return {
    driver,
    finished,
    async stop() {
      await driver.stop({ failover: false }).finally(() => nc.close());
    },
  };
}
