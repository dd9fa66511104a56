import { InputError } from '@pando/common';
import { Resources } from '@pando/resources';
import { FakeClock } from '@pando/testing';
import { AllocationLoop } from './allocation-loop';
import type { Allocation } from './allocator.interface';

const grant: Allocation = { frameworkId: 'f', agentId: 'a', role: 'web', resources: Resources.parse('cpus:1') };

function setUp(options: { intervalMs?: number; batches?: Allocation[][] } = {}) {
  const clock = new FakeClock();
  const cycles: number[] = [];
  const batches = options.batches ?? [];
  const allocator = {
    allocate: jest.fn((now: number) => {
      cycles.push(now);
      return batches.shift() ?? [];
    }),
  };
  const delivered: Allocation[][] = [];
  const errors: unknown[] = [];
  let onBatch = (allocations: Allocation[]) => void delivered.push(allocations);
  const loop = new AllocationLoop(allocator, (a) => onBatch(a), {
    clock,
    intervalMs: options.intervalMs ?? 1000,
    onError: (err) => errors.push(err),
  });
  return { clock, loop, allocator, cycles, delivered, errors, setOnBatch: (fn: typeof onBatch) => (onBatch = fn) };
}

describe('AllocationLoop', () => {
  it('runs a cycle every interval and hands over only non-empty batches', () => {
    const { clock, loop, cycles, delivered } = setUp({ batches: [[], [grant]] });
    loop.start();
    clock.advance(999);
    expect(cycles).toHaveLength(0);
    clock.advance(1);
    clock.advance(1000);
    expect(cycles).toHaveLength(2);
    expect(delivered).toEqual([[grant]]);
    loop.stop();
  });

  it('coalesces triggers made before a cycle starts into one cycle', () => {
    const { clock, loop, cycles } = setUp();
    loop.start();
    for (let i = 0; i < 10; i++) loop.trigger();
    clock.advance(0);
    expect(cycles).toHaveLength(1);
    // The interval starts over after a triggered cycle.
    clock.advance(999);
    expect(cycles).toHaveLength(1);
    clock.advance(1);
    expect(cycles).toHaveLength(2);
    loop.stop();
  });

  it('turns any number of triggers during a cycle into exactly one more cycle, never overlapping', () => {
    const { clock, loop, allocator, cycles, setOnBatch } = setUp({ batches: [[grant], [grant]] });
    let depth = 0;
    let maxDepth = 0;
    let busy = true;
    const allocate = allocator.allocate.getMockImplementation()!;
    allocator.allocate.mockImplementation((now: number) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      // Events arriving while the first cycle runs (e.g. the master recovering resources).
      if (busy) for (let i = 0; i < 3; i++) loop.trigger();
      const result = allocate(now);
      depth--;
      return result;
    });
    setOnBatch(() => {
      if (busy) for (let i = 0; i < 5; i++) loop.trigger();
      busy = false;
    });
    loop.start();
    loop.trigger();
    clock.advance(0);
    expect(cycles).toHaveLength(2);
    expect(maxDepth).toBe(1);
    clock.advance(999);
    expect(cycles).toHaveLength(2);
    clock.advance(1);
    expect(cycles).toHaveLength(3);
    loop.stop();
  });

  it('stops cleanly and ignores triggers while stopped', () => {
    const { clock, loop, cycles } = setUp();
    loop.trigger();
    clock.advance(5000);
    expect(cycles).toHaveLength(0);
    loop.start();
    loop.start();
    loop.trigger();
    loop.stop();
    clock.advance(5000);
    expect(cycles).toHaveLength(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('reports a failing cycle and keeps going', () => {
    const { clock, loop, allocator, cycles, errors } = setUp();
    allocator.allocate.mockImplementationOnce(() => {
      throw new Error('boom');
    });
    loop.start();
    clock.advance(1000);
    clock.advance(1000);
    expect(errors).toEqual([new Error('boom')]);
    expect(cycles).toHaveLength(1);
    expect(loop.cycleCount).toBe(2);
    loop.stop();
  });

  it('accepts intervals down to 10 ms only', () => {
    expect(() => setUp({ intervalMs: 9 })).toThrow(InputError);
    const { clock, loop, cycles } = setUp({ intervalMs: 10 });
    loop.start();
    clock.advance(100);
    expect(cycles).toHaveLength(10);
    loop.stop();
  });
});
