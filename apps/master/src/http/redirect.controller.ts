import { Controller, Get, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { MasterIdentity } from '../identity/master-identity';

/**
 * Mesos's `/master/redirect`: a 307 to the leading master. The leader answers it here with
 * itself; a standby's middleware answers it with the leader it knows.
 */
@Controller()
export class RedirectController {
  constructor(private readonly identity: MasterIdentity) {}

  @Get('master/redirect')
  redirect(@Res() res: ServerResponse): void {
    const leader = this.identity.leaderInfo;
    if (!leader) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'no leading master is known yet; retry shortly' }));
      return;
    }
    res.writeHead(307, { location: leader.url, 'content-type': 'application/json' });
    res.end(JSON.stringify({ leader: leader.url }));
  }
}
