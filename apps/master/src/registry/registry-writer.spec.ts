import '../testing/quiet-logs';
import { createLogger, UnavailableError } from '@pando/common';
import type { KvPort, KvValue } from './kv-bucket';
import { RegistryWriter } from './registry-writer';

const log = createLogger('writer-spec');

/** An in-memory KvPort that records writes and can be told to fail. */
class MemoryKv implements KvPort {
  readonly values = new Map<string, string>();
  readonly log: string[] = [];
  failing = 0;
  inFlight = 0;
  maxInFlight = 0;
  async get(key: string): Promise<KvValue | undefined> {
    const json = this.values.get(key);
    return json === undefined ? undefined : { key, value: JSON.parse(json), revision: 1 };
  }
  async create(): Promise<number> {
    return 1;
  }
  async update(): Promise<number> {
    return 1;
  }
  async put(key: string, value: unknown): Promise<number> {
    return this.op(() => {
      this.values.set(key, JSON.stringify(value));
      this.log.push(`put ${key}=${JSON.stringify(value)}`);
    });
  }
  async delete(key: string): Promise<void> {
    await this.op(() => {
      this.values.delete(key);
      this.log.push(`delete ${key}`);
    });
  }
  async snapshot(): Promise<KvValue[]> {
    return [];
  }
  async watch(): Promise<() => void> {
    return () => undefined;
  }
  private async op(apply: () => void): Promise<number> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 1));
    this.inFlight--;
    if (this.failing > 0) {
      this.failing--;
      throw new UnavailableError('bucket unavailable');
    }
    apply();
    return 1;
  }
}

describe('RegistryWriter', () => {
  it('coalesces changes of one key into one write of its latest state', async () => {
    const kv = new MemoryKv();
    const writer = new RegistryWriter(async () => kv, log);
    let state = 1;
    for (let i = 0; i < 10; i++) writer.set('agents.a', () => ({ state: state++ }));
    await writer.idle();
    expect(kv.log).toEqual(['put agents.a={"state":1}']);
    expect(writer.writes).toBe(1);
  });

  it('skips what the bucket already holds, deletes on undefined', async () => {
    const kv = new MemoryKv();
    const writer = new RegistryWriter(async () => kv, log);
    writer.seed(new Map([['agents.a', '{"x":1}']]));
    writer.set('agents.a', () => ({ x: 1 }));
    writer.set('agents.b', () => ({ x: 2 }));
    await writer.idle();
    writer.set('agents.b', () => undefined);
    writer.set('agents.c', () => undefined);
    await writer.idle();
    expect(kv.log).toEqual(['put agents.b={"x":2}', 'delete agents.b']);
  });

  it('bounds writes in flight and retries failures with the latest state', async () => {
    const kv = new MemoryKv();
    const writer = new RegistryWriter(async () => kv, log, 4);
    kv.failing = 2;
    let version = 0;
    for (let i = 0; i < 20; i++) writer.set(`agents.${i}`, () => ({ i, version }));
    version = 1;
    await writer.idle();
    expect(kv.maxInFlight).toBeLessThanOrEqual(4);
    expect(kv.values.size).toBe(20);
    expect(writer.failures).toBe(2);
    expect(JSON.parse(kv.values.get('agents.0')!)).toEqual({ i: 0, version: 1 });
  });
});
