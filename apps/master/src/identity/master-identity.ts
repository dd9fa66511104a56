import type { LeaderInfo } from '../election/leader-info';

/**
 * Who this master is and whether it leads. Every message the master sends carries `epoch`;
 * agents and frameworks ignore older epochs. A master starts as a standby (epoch 0); the election
 * calls `lead()` with the lease revision when it wins the lease. It never goes back: a leader
 * that loses the lease exits (crash-only) and comes back as a new standby process.
 */
export class MasterIdentity {
  readonly startTime: number;
  private currentEpoch = 0;
  private leading = false;
  private electedAt?: number;
  private httpPort = 0;
  private observedLeader?: LeaderInfo;

  constructor(
    readonly masterId: string,
    readonly hostname: string,
    now: number,
    /** The host others reach this master's HTTP at (the leader URL standbys send clients to). */
    readonly advertiseHost: string = hostname,
  ) {
    this.startTime = now;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  get leader(): boolean {
    return this.leading;
  }

  /** When this master last started leading (ms since the epoch), if it leads. */
  get electedTime(): number | undefined {
    return this.leading ? this.electedAt : undefined;
  }

  /** The HTTP port actually bound (the option may say 0 for "any"). */
  get port(): number {
    return this.httpPort;
  }

  lead(epoch: number, now: number): void {
    this.currentEpoch = epoch;
    this.leading = true;
    this.electedAt = now;
  }

  standBy(): void {
    this.leading = false;
  }

  setHttpPort(port: number): void {
    this.httpPort = port;
  }

  /** The Mesos-style process id tools parse for host and port: `master@host:port`. */
  get pid(): string {
    return `master@${this.hostname}:${this.httpPort}`;
  }

  /** Base URL of this master's HTTP API as others reach it. */
  get url(): string {
    return `http://${this.advertiseHost}:${this.httpPort}`;
  }

  /** This master as the lease names its holder. */
  get self(): LeaderInfo {
    return { masterId: this.masterId, hostname: this.hostname, port: this.httpPort, url: this.url, pid: this.pid };
  }

  /** The leader as this master knows it: itself when leading, else the lease holder last seen. */
  get leaderInfo(): LeaderInfo | undefined {
    return this.leading ? this.self : this.observedLeader;
  }

  /** The election saw who holds the lease (undefined: nobody does). */
  observeLeader(leader: LeaderInfo | undefined): void {
    this.observedLeader = leader;
  }
}
