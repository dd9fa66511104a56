import { createLogger } from '@pando/common';
import { SerialEventQueue } from './serial-event-queue';

const log = createLogger('serial-event-queue-spec');
log.level = 'silent';
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('SerialEventQueue', () => {
  it('runs async jobs one at a time in push order', async () => {
    const queue = new SerialEventQueue(log);
    const done: number[] = [];
    let active = 0;
    let maxActive = 0;
    for (let i = 0; i < 20; i++) {
      queue.push(async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await pause((20 - i) % 5);
        done.push(i);
        active--;
      });
    }
    await queue.idle();
    expect(done).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(maxActive).toBe(1);
  });

  it('goes on after a job throws or rejects', async () => {
    const queue = new SerialEventQueue(log);
    const done: string[] = [];
    queue.push(() => {
      throw new Error('sync');
    });
    queue.push(() => Promise.reject(new Error('async')));
    queue.push(() => void done.push('after'));
    await queue.idle();
    expect(done).toEqual(['after']);
  });

  it('clear drops jobs not started yet', async () => {
    const queue = new SerialEventQueue(log);
    const done: string[] = [];
    queue.push(async () => {
      await pause(20);
      done.push('running');
    });
    queue.push(() => void done.push('dropped'));
    queue.clear();
    await queue.idle();
    expect(done).toEqual(['running']);
    expect(queue.size).toBe(0);
  });
});
