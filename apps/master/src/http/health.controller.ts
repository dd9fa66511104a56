import { Controller, Get } from '@nestjs/common';
import { AgentRegistry } from '../agents/agent-registry.service';
import { MasterIdentity } from '../identity/master-identity';
import { RecoveryGate, type RecoveryPhase } from '../leadership/recovery-gate.service';

export interface HealthJson {
  status: 'ok';
  masterId: string;
  epoch: number;
  leader: boolean;
  /** The leading master as this one knows it (itself when leading). */
  leaderId?: string;
  leaderUrl?: string;
  /** A leader's recovery after taking over: `recovering` until enough agents are back. */
  recovery?: RecoveryPhase;
  /** A leader's agents: active, unreachable, and known from the registry but not back yet. */
  agents?: { active: number; unreachable: number; recovered: number };
}

/** Answered by every master itself, standby or leader (supervisors and health checks use it). */
@Controller()
export class HealthController {
  constructor(
    private readonly identity: MasterIdentity,
    private readonly recovery: RecoveryGate,
    private readonly agents: AgentRegistry,
  ) {}

  @Get('health')
  health(): HealthJson {
    const { masterId, epoch, leader, leaderInfo } = this.identity;
    const health: HealthJson = { status: 'ok', masterId, epoch, leader };
    if (leaderInfo) {
      health.leaderId = leaderInfo.masterId;
      health.leaderUrl = leaderInfo.url;
    }
    if (leader) {
      health.recovery = this.recovery.phase;
      health.agents = { active: this.agents.activeCount, unreachable: this.agents.unreachableCount, recovered: this.agents.recoveredCount };
    }
    return health;
  }
}
