/**
 * Who this master is and whether it leads. Every message the master sends carries `epoch`;
 * agents and frameworks ignore older epochs. Today a master leads from the moment it starts
 * and its epoch is its start time in milliseconds; leader election will call `lead()` with the
 * lease revision instead, and `standBy()` when the lease is lost, without the rest changing.
 */
export class MasterIdentity {
  readonly startTime: number;
  private currentEpoch = 0;
  private leading = false;
  private electedAt?: number;
  private httpPort = 0;

  constructor(
    readonly masterId: string,
    readonly hostname: string,
    now: number,
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
}
