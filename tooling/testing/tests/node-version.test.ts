import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { describe, expect, it } from 'vitest';

describe('the Node.js the tests run on', () => {
  it('is the repository’s own, written once in .node-version (tooling/node puts it first on PATH)', () => {
    const wanted = readFileSync(join(findWorkspaceRoot(), '.node-version'), 'utf8').trim();

    expect(process.version).toBe(`v${wanted}`);
  });
});
