import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JournalEntry, openJournal, readJournal } from '../src/journal.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const invocation = (requestId: string) =>
  ({
    type: 'invocation',
    functionId: 'UsersApiFunction',
    trigger: 'GET /users',
    requestId,
    traceId: '1-6b0912b3-28e02368ba7444aef6f6c61a',
    ok: true,
    durationMs: 12.5,
    coldStart: false,
  }) as const;

describe('openJournal / readJournal', () => {
  it('reads back what was written, one JSON object a line, each stamped with when', async () => {
    // Prepare
    const path = join(dir, 'nested', 'journal.jsonl');
    const before = Date.now();
    const journal = openJournal(path);

    // Act
    journal.write(invocation('r-1'));
    journal.write({ type: 'log', functionId: 'UsersApiFunction', record: { level: 'INFO', message: 'hi' } });
    await journal.close();

    // Assess
    const entries = readJournal(path);
    expect(entries).toEqual([
      { at: expect.any(Number), ...invocation('r-1') },
      {
        at: expect.any(Number),
        type: 'log',
        functionId: 'UsersApiFunction',
        record: { level: 'INFO', message: 'hi' },
      },
    ]);
    expect(entries[0]?.at).toBeGreaterThanOrEqual(before);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(3);
  });

  it('keeps the order entries were written in, appending to what the file held', async () => {
    // Prepare
    const path = join(dir, 'journal.jsonl');
    const first = openJournal(path);
    first.write(invocation('r-0'));
    await first.close();
    const journal = openJournal(path);

    // Act
    for (let index = 1; index <= 500; index++) journal.write(invocation(`r-${index}`));
    await journal.close();

    // Assess
    const ids = readJournal(path).map((entry) => (entry as { requestId: string }).requestId);
    expect(ids).toEqual(Array.from({ length: 501 }, (_, index) => `r-${index}`));
  });

  it('leaves out a last line still being written, and drops writes after close', async () => {
    // Prepare
    const path = join(dir, 'journal.jsonl');
    const journal = openJournal(path);
    journal.write(invocation('r-1'));
    await journal.close();
    journal.write(invocation('late'));
    appendFileSync(path, '{"at":1,"type":"invocation","functionId":"Users');

    // Act
    const entries: JournalEntry[] = readJournal(path);

    // Assess
    expect(entries.map((entry) => entry.type)).toEqual(['invocation']);
    expect(entries[0]).toMatchObject({ requestId: 'r-1' });
  });

  it('refuses a file whose complete lines are not JSON', () => {
    // Prepare
    const path = join(dir, 'not-a-journal.jsonl');
    writeFileSync(path, 'hello\n{"at":1,"type":"log","functionId":"F","record":{}}\n');

    // Act
    const reading = () => readJournal(path);

    // Assess
    expect(reading).toThrow(/not-a-journal\.jsonl:1 is not a journal entry/);
  });

  it('fails at once when the path cannot be written', () => {
    // Prepare
    const file = join(dir, 'a-file');
    writeFileSync(file, '');

    // Act
    const opening = () => openJournal(join(file, 'journal.jsonl'));

    // Assess
    expect(opening).toThrow(/ENOTDIR|EEXIST/);
  });
});
