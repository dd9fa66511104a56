import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '@pando/resources';
import { detectedResources, detectResources, memoryReserveMb, mergeResources } from './resource-detector';

describe('memoryReserveMb', () => {
  it('keeps 1024 MB on hosts of 2 GiB or more', () => {
    expect(memoryReserveMb(2048)).toBe(1024);
    expect(memoryReserveMb(64_000)).toBe(1024);
  });

  it('keeps half on smaller hosts', () => {
    expect(memoryReserveMb(2047)).toBe(1023);
    expect(memoryReserveMb(1000)).toBe(500);
  });

  it('uses an explicit reserve as given', () => {
    expect(memoryReserveMb(64_000, 0)).toBe(0);
    expect(memoryReserveMb(1000, 100)).toBe(100);
  });
});

describe('detectedResources', () => {
  it('offers cpus, memory minus the reserve, disk minus headroom, and ports 31000-32000', () => {
    const r = detectedResources({ cpus: 8, totalMemMb: 16_384, freeDiskMb: 100_000, gpus: 0 });
    expect(r.scalar('cpus')).toBe(8);
    expect(r.scalar('mem')).toBe(15_360);
    expect(r.scalar('disk')).toBe(100_000 - 5120);
    expect(r.ranges('ports')).toEqual([[31000, 32000]]);
    expect(r.names()).toEqual(['cpus', 'disk', 'mem', 'ports']);
  });

  it('keeps half the disk on small disks and adds gpus when there are some', () => {
    const r = detectedResources({ cpus: 2, totalMemMb: 1000, freeDiskMb: 4000, gpus: 2 }, 200);
    expect(r.scalar('disk')).toBe(2000);
    expect(r.scalar('mem')).toBe(800);
    expect(r.scalar('gpus')).toBe(2);
  });
});

describe('mergeResources', () => {
  const detected = detectedResources({ cpus: 8, totalMemMb: 16_384, freeDiskMb: 100_000, gpus: 0 });

  it('replaces detected resources of the given names and keeps the others', () => {
    const merged = mergeResources(detected, Resources.parse('cpus:2;ports:[5000-5001]'));
    expect(merged.scalar('cpus')).toBe(2);
    expect(merged.ranges('ports')).toEqual([[5000, 5001]]);
    expect(merged.scalar('mem')).toBe(15_360);
    expect(merged.scalar('disk')).toBe(94_880);
  });

  it('replaces every role of a name, so a reserved cpus line is not added to detected cpus', () => {
    const merged = mergeResources(detected, Resources.parse('cpus(web):1;cpus:1'));
    expect(merged.scalar('cpus')).toBe(2);
    expect(merged.scalar('cpus', 'web')).toBe(1);
  });

  it('adds names that detection does not know', () => {
    const merged = mergeResources(detected, Resources.parse('gpus:1;bandwidth:100'));
    expect(merged.scalar('gpus')).toBe(1);
    expect(merged.scalar('bandwidth')).toBe(100);
    expect(merged.scalar('cpus')).toBe(8);
  });

  it('returns the detected resources when nothing is given', () => {
    expect(mergeResources(detected, undefined).equals(detected)).toBe(true);
  });
});

describe('detectResources (this host)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pando-detect-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the real host and creates the work dir', async () => {
    const r = await detectResources(join(dir, 'work'), Resources.parse('mem:512'));
    expect(r.scalar('cpus')).toBe(availableParallelism());
    expect(r.scalar('mem')).toBe(512);
    expect(r.scalar('disk')).toBeGreaterThan(0);
    expect(r.ranges('ports')).toEqual([[31000, 32000]]);
  });
});
