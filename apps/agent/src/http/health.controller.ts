import { Controller, Get } from '@nestjs/common';
import { AgentSession } from '../master/agent-session';

export interface HealthJson {
  status: 'ok';
  agentId: string | null;
  registered: boolean;
  masterEpoch: number | null;
}

/** Liveness for supervisors and tests: 200 as long as the process serves HTTP. */
@Controller()
export class HealthController {
  constructor(private readonly session: AgentSession) {}

  @Get('health')
  health(): HealthJson {
    const view = this.session.snapshot();
    return { status: 'ok', agentId: view.agentId ?? null, registered: view.registered, masterEpoch: view.epoch ?? null };
  }
}
