import { Inject, Injectable } from '@nestjs/common';
import { isTerminalState, type Offer, type TaskStatus } from '@pando/protocol';
import { FRAMEWORK_PLUGIN_CONTEXT, offerResources, taskSpec, type FrameworkPluginContext, type Scheduler, type SchedulerDriver } from '@pando/sdk';
import { RunBook } from './run-book';
import { readRunOnceOptions, type RunOnceOptions } from './run-once.options';

/** An agent that had its run is not offered to us again for a day (new agents still are). */
const DONE_REFUSE_SECONDS = 24 * 3600;

/**
 * Launches the command on every agent it is offered, once: the first offer from an agent with
 * no run gets the task; every other offer is declined for a day. Status updates are stored
 * before they are acknowledged (the driver acknowledges after `update` returns).
 */
@Injectable()
export class RunOnceScheduler implements Scheduler {
  private readonly options: RunOnceOptions;

  constructor(
    @Inject(FRAMEWORK_PLUGIN_CONTEXT) private readonly context: FrameworkPluginContext,
    private readonly book: RunBook,
  ) {
    this.options = readRunOnceOptions(context.options);
  }

  async offers(driver: SchedulerDriver, offers: Offer[]): Promise<void> {
    for (const offer of offers) {
      if (this.book.forAgent(offer.agentId) || !offerResources(offer).contains(this.options.resources)) {
        await driver.decline(offer, { refuseSeconds: DONE_REFUSE_SECONDS });
        continue;
      }
      const task = taskSpec({ name: 'run-once', agentId: offer.agentId, resources: this.options.resources, command: this.options.command });
      await this.book.record({ agentId: offer.agentId, taskId: task.taskId, state: 'LAUNCHING' });
      const reply = await driver.launch(offer, [task], { refuseSeconds: DONE_REFUSE_SECONDS });
      if (reply.refusedOffers?.length) this.context.log.warn({ agentId: offer.agentId }, 'offer was stale; the run on this agent is lost');
      else this.context.log.info({ agentId: offer.agentId, taskId: task.taskId }, `launched the command on agent ${offer.agentId}`);
    }
  }

  async update(_driver: SchedulerDriver, status: TaskStatus): Promise<void> {
    const run = this.book.byTask(status.taskId);
    if (!run || run.state === status.state) return;
    if (run.state !== 'LAUNCHING' && isTerminalState(run.state) && !isTerminalState(status.state)) return; // a stale replay
    await this.book.record({ agentId: run.agentId, taskId: run.taskId, state: status.state, message: status.message });
  }

  subscribed(_driver: SchedulerDriver, info: { frameworkId: string; reconnected: boolean }): void {
    this.context.log.info({ frameworkId: info.frameworkId, reconnected: info.reconnected }, 'subscribed');
  }
}
