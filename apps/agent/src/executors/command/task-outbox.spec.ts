process.env.PANDO_LOG_LEVEL ??= 'error';

import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pando/common';
import { MAX_MESSAGE_BYTES } from '@pando/sdk';
import { waitFor } from '@pando/testing';
import { TaskOutbox } from './task-outbox';

describe('TaskOutbox', () => {
  let dir: string;
  let path: string;
  let lines: string[];
  let consumed: number[];
  let outbox: TaskOutbox;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pando-outbox-'));
    path = join(dir, 'outbox');
    writeFileSync(path, '');
    lines = [];
    consumed = [];
  });
  afterEach(() => {
    outbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function follow(offset = 0): TaskOutbox {
    outbox = new TaskOutbox(path, offset, { line: (data) => lines.push(data.toString()), consumed: (o) => consumed.push(o) }, createLogger('test'));
    outbox.start();
    return outbox;
  }

  it('sends complete lines as they are appended, holding a line until its newline', async () => {
    follow();
    appendFileSync(path, 'one\ntw');
    await waitFor(() => lines.length === 1, 'first line', 3000, 10);
    appendFileSync(path, 'o\n\nthree\n');
    await waitFor(() => lines.length === 4, 'the rest', 3000, 10);
    expect(lines).toEqual(['one', 'two', '', 'three']);
    expect(consumed.at(-1)).toBe(15);
  });

  it('starts at the offset it is given and reads the last lines when closed', async () => {
    writeFileSync(path, 'old\nnew\n');
    const o = follow(4);
    await waitFor(() => lines.length === 1, 'a line', 3000, 10);
    o.stop();
    appendFileSync(path, 'unseen\n');
    const again = new TaskOutbox(path, 8, { line: (data) => lines.push(data.toString()), consumed: () => undefined }, createLogger('test'));
    await again.close();
    expect(lines).toEqual(['new', 'unseen']);
  });

  it('skips a line longer than a message can be, and reads again from the start a file that shrank', async () => {
    follow();
    appendFileSync(path, `${'x'.repeat(MAX_MESSAGE_BYTES + 10)}\nafter\n`);
    await waitFor(() => lines.length === 1, 'the line after', 5000, 10);
    expect(lines).toEqual(['after']);
    truncateSync(path, 0);
    appendFileSync(path, 'fresh\n');
    await waitFor(() => lines.length === 2, 'a line of the new file', 3000, 10);
    expect(lines).toEqual(['after', 'fresh']);
  });
});
