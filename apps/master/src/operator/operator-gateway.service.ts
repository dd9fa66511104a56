import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { createLogger } from '@pando/common';
import { operatorKillRequestSchema, operatorLaunchRequestSchema, serveRequests, Subjects } from '@pando/protocol';
import { NATS_CONNECTION } from '../master.tokens';
import { TaskLauncher } from './task-launcher.service';

/** Operator NATS subjects (launch, kill) -> the task launcher; served by the leader only. */
@Injectable()
export class OperatorGateway implements OnModuleDestroy {
  private readonly log = createLogger('operator-gateway');
  private subscriptions: Subscription[] = [];

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly launcher: TaskLauncher,
  ) {}

  async startLeading(): Promise<void> {
    this.subscriptions = [
      serveRequests(this.nc, Subjects.operatorLaunch, operatorLaunchRequestSchema, 'operator launch', (req) => this.launcher.launch(req), this.log),
      serveRequests(this.nc, Subjects.operatorKill, operatorKillRequestSchema, 'operator kill', (req) => this.launcher.kill(req), this.log),
    ];
    await this.nc.flush();
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
  }
}
