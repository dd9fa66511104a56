import { TickBatcher } from './tick-batcher';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TickBatcher', () => {
  it('hands over each key’s items once, together and in order, on the next turn of the event loop', async () => {
    const delivered: Array<[string, number[]]> = [];
    const batcher = new TickBatcher<number>((key, items) => delivered.push([key, items]));
    batcher.add('a', 1);
    batcher.add('b', 2);
    await Promise.resolve();
    batcher.add('a', 3);
    expect(delivered).toEqual([]);
    expect(batcher.size).toBe(3);
    await nextTurn();
    expect(delivered).toEqual([
      ['a', [1, 3]],
      ['b', [2]],
    ]);
    batcher.add('a', 4);
    await nextTurn();
    expect(delivered.at(-1)).toEqual(['a', [4]]);
  });

  it('delivers one key at once when asked (so that batching never reorders what a receiver is sent)', async () => {
    const delivered: Array<[string, number[]]> = [];
    const batcher = new TickBatcher<number>((key, items) => delivered.push([key, items]));
    batcher.add('a', 1);
    batcher.add('b', 2);
    batcher.flushKey('a');
    batcher.flushKey('c');
    expect(delivered).toEqual([['a', [1]]]);
    await nextTurn();
    expect(delivered).toEqual([
      ['a', [1]],
      ['b', [2]],
    ]);
  });

  it('keeps delivering the other keys when one delivery throws, and drops everything on clear', async () => {
    const delivered: string[] = [];
    const warnings: unknown[] = [];
    const log = { warn: (...args: unknown[]) => warnings.push(args) } as never;
    const batcher = new TickBatcher<number>((key) => {
      if (key === 'bad') throw new Error('boom');
      delivered.push(key);
    }, log);
    batcher.add('bad', 1);
    batcher.add('good', 2);
    await nextTurn();
    expect(delivered).toEqual(['good']);
    expect(warnings).toHaveLength(1);
    batcher.add('good', 3);
    batcher.clear();
    await nextTurn();
    expect(delivered).toEqual(['good']);
  });
});
