import { Controller, Get } from '@nestjs/common';
import { MasterIdentity } from '../identity/master-identity';

@Controller()
export class HealthController {
  constructor(private readonly identity: MasterIdentity) {}

  @Get('health')
  health(): { status: 'ok'; masterId: string; epoch: number; leader: boolean } {
    return { status: 'ok', masterId: this.identity.masterId, epoch: this.identity.epoch, leader: this.identity.leader };
  }
}
