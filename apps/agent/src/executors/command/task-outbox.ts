import { watch, type FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';
import { describeError, type Logger } from '@pando/common';
import { MAX_MESSAGE_BYTES } from '@pando/sdk';

/** How often the outbox is checked when the file system cannot be watched. */
const POLL_MS = 1000;
const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

export interface OutboxListener {
  /** One complete line the task wrote, without its newline. */
  line(data: Buffer): void;
  /** Everything before `offset` has been read (checkpoint it to resume there after a restart). */
  consumed(offset: number): void;
}

/**
 * Follows the outbox file a command task appends to (`$PANDO_OUTBOX`): every complete line
 * becomes one message to the framework, in order; a line without its newline waits for it. A
 * line longer than MAX_MESSAGE_BYTES is skipped (logged). Woken by fs.watch on the file, or
 * polled when it cannot be watched. Tasks must append (`>>`), not replace, the file.
 */
export class TaskOutbox {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;
  private again = false;
  private closed = false;
  /** Bytes of a line still waiting for its newline. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Inside a line too long to send: everything up to its newline is dropped. */
  private skipping = false;

  constructor(
    private readonly path: string,
    private offset: number,
    private readonly listener: OutboxListener,
    private readonly log: Logger,
  ) {}

  start(): void {
    try {
      this.watcher = watch(this.path, { persistent: false }, () => this.poke());
      this.watcher.on('error', () => this.pollInstead());
    } catch (err) {
      this.log.debug({ path: this.path, err: describeError(err) }, 'cannot watch the outbox: polling it');
      this.pollInstead();
    }
    this.poke();
  }

  /** Reads what was written since the last read (coalesced: one read at a time). */
  poke(): void {
    if (this.closed) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.drain()
      .catch((err: unknown) => this.log.warn({ path: this.path, err: describeError(err) }, `cannot read the outbox ${this.path}: ${describeError(err)}`))
      .finally(() => {
        this.reading = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Reads the last complete lines (the task has ended), then stops following the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.reading;
    this.again = false;
    this.reading = this.drain().catch(() => undefined);
    await this.reading;
    this.closed = true;
    this.stopWatching();
  }

  /** Stops following the file at once, reading nothing more (the agent is stopping). */
  stop(): void {
    this.closed = true;
    this.stopWatching();
  }

  private pollInstead(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.poke(), POLL_MS);
    this.timer.unref();
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch {
      return; // not created (yet), or removed: nothing to send
    }
    const before = this.offset;
    try {
      if ((await handle.stat()).size < this.offset + this.partialBytes) {
        // Truncated (or replaced): start again from its beginning.
        this.log.warn({ path: this.path }, `${this.path} shrank: reading it again from the start`);
        this.offset = 0;
        this.partial = [];
        this.partialBytes = 0;
        this.skipping = false;
      }
      const buffer = Buffer.alloc(CHUNK_BYTES);
      let position = this.offset + this.partialBytes;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        this.split(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    if (this.offset !== before) this.listener.consumed(this.offset);
  }

  /** Cuts a chunk into lines; `offset` moves past each complete line (sent or skipped). */
  private split(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, end);
      const lineBytes = this.partialBytes + piece.length;
      if (this.skipping) {
        // The rest of a line already found too long.
      } else if (lineBytes > MAX_MESSAGE_BYTES) {
        this.log.warn({ path: this.path }, `a line in ${this.path} is longer than ${MAX_MESSAGE_BYTES} bytes: skipped`);
      } else {
        this.listener.line(this.partial.length === 0 ? Buffer.from(piece) : Buffer.concat([...this.partial, piece]));
      }
      this.skipping = false;
      this.offset += lineBytes + 1;
      this.partial = [];
      this.partialBytes = 0;
      start = end + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) return;
    if (!this.skipping && this.partialBytes + rest.length > MAX_MESSAGE_BYTES) {
      this.log.warn({ path: this.path }, `a line in ${this.path} is longer than ${MAX_MESSAGE_BYTES} bytes: skipped`);
      this.skipping = true;
      this.partial = [];
    }
    if (!this.skipping) this.partial.push(Buffer.from(rest));
    this.partialBytes += rest.length;
    if (this.skipping) {
      // Skipped bytes are consumed at once, so a huge line is never held in memory.
      this.offset += this.partialBytes;
      this.partialBytes = 0;
    }
  }
}
