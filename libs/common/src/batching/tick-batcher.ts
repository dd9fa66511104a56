import type { Logger } from 'pino';

/**
 * Gathers items per key and hands each key's items over together on the next turn of the event
 * loop (setImmediate), in the order they were added. A burst of work (say, fifty status updates
 * read from one socket chunk) then sends one message per key instead of one per item: every NATS
 * message costs a JSON envelope, a protocol line, routing in nats-server and a parse on the other
 * side, whatever its size. setImmediate rather than a microtask because producers often run in
 * promise chains of their own (the SDK's event queue awaits each callback): a microtask flush would
 * run in the middle of the burst and send batches of one. The delay is one loop turn.
 *
 * `deliver` must not throw; if it does, the error is logged and the other keys are still delivered.
 */
export class TickBatcher<T> {
  private pending = new Map<string, T[]>();
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly deliver: (key: string, items: T[]) => void,
    private readonly log?: Logger,
  ) {}

  /** Items waiting for the next flush. */
  get size(): number {
    let n = 0;
    for (const items of this.pending.values()) n += items.length;
    return n;
  }

  add(key: string, item: T): void {
    const items = this.pending.get(key);
    if (items) items.push(item);
    else this.pending.set(key, [item]);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /**
   * Delivers one key's items now: a caller about to send that key something else calls it first,
   * so that batching never reorders what one receiver is sent.
   */
  flushKey(key: string): void {
    const items = this.pending.get(key);
    if (!items) return;
    this.pending.delete(key);
    this.deliverSafely(key, items);
  }

  /** Delivers everything now. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const pending = this.pending;
    this.pending = new Map();
    for (const [key, items] of pending) this.deliverSafely(key, items);
  }

  /** Drops everything not delivered yet (shutdown). */
  clear(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.pending.clear();
  }

  private deliverSafely(key: string, items: T[]): void {
    try {
      this.deliver(key, items);
    } catch (err) {
      this.log?.warn({ key, items: items.length, err: err instanceof Error ? err.message : String(err) }, `failed to deliver a batch of ${items.length} for ${key}`);
    }
  }
}
