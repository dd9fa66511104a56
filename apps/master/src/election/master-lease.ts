import { KvLease, type Clock, type Logger } from '@pando/common';
import type { KvPort } from '../registry/kv-bucket';
import { parseLeaderInfo, type LeaderInfo } from './leader-info';

export type { LeaseRole } from '@pando/common';

export interface MasterLeaseOptions {
  kv: KvPort;
  key: string;
  me: LeaderInfo;
  ttlMs: number;
  clock: Clock;
  log: Logger;
  /** Called once, when this master becomes the leader; `epoch` is the lease revision at that moment. */
  onAcquired(epoch: number): void;
  /** Called once, when the leader can no longer be sure it holds the lease: it must stop leading at once. */
  onLost(reason: string): void;
  /** Called whenever the holder seen changes (undefined: nobody holds the lease). */
  onLeaderSeen?(leader: LeaderInfo | undefined): void;
}

/** The masters' leader election: the shared KV lease (libs/common KvLease) over LeaderInfo values. */
export class MasterLease extends KvLease<LeaderInfo> {
  constructor({ onLeaderSeen, ...options }: MasterLeaseOptions) {
    super({
      ...options,
      parseHolder: parseLeaderInfo,
      describe: (leader) => `master ${leader.masterId}`,
      ...(onLeaderSeen ? { onHolderSeen: onLeaderSeen } : {}),
    });
  }
}
