import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Budgets,
  BudgetsFileError,
  checkBudgets,
  formatBudgetTable,
  parseBudgets,
} from '../src/budgets.ts';
import { readAppManifests } from '../src/codeowners.ts';
import { appManifest, runCli, scratchRepo } from './cli-fixture.ts';

const repoRoot = findWorkspaceRoot(fileURLToPath(new URL('.', import.meta.url)));
const KB = 1024;

const budgets: Budgets = {
  'users-api': { budgetKb: 400, goalKb: 400, why: 'API cold start' },
  'upload-processor': { budgetKb: 665, goalKb: 400, why: 'three SDK clients' },
  'image-resizer': { budgetKb: 490, goalKb: null, why: 'no goal named' },
};
/** budgets.json with only these apps' entries. */
const budgetsOf = (...apps: string[]): Budgets =>
  Object.fromEntries(Object.entries(budgets).filter(([app]) => apps.includes(app)));

describe('checkBudgets', () => {
  it('passes apps within budget, at the budget to the byte included', () => {
    const { rows, failures } = checkBudgets(
      { 'users-api': 400 * KB, 'image-resizer': 462.5 * KB },
      budgetsOf('users-api', 'image-resizer'),
    );

    expect(failures).toEqual([]);
    expect(rows.map((row) => [row.app, row.status])).toEqual([
      ['image-resizer', 'ok'],
      ['users-api', 'ok'],
    ]);
  });

  it('fails an app one byte over its budget, naming its size, budget and overage in KB of 1024 bytes', () => {
    const { rows, failures } = checkBudgets(
      { 'users-api': 400 * KB + 1, 'image-resizer': 100 * KB },
      budgetsOf('users-api', 'image-resizer'),
    );

    expect(rows.find((row) => row.app === 'users-api')?.status).toBe('over budget');
    expect(failures).toEqual([
      'users-api: dist/index.mjs is 400.0 KB, over its 400 KB budget by 0.0 KB (1 B)',
    ]);
  });

  it('reports the overage', () => {
    const { failures } = checkBudgets({ 'users-api': 422_195 }, budgetsOf('users-api'));

    expect(failures).toEqual([
      'users-api: dist/index.mjs is 412.3 KB, over its 400 KB budget by 12.3 KB (12595 B)',
    ]);
  });

  it('fails an app that has no entry in budgets.json, saying what to add', () => {
    const { rows, failures } = checkBudgets(
      { 'users-api': 300 * KB, 'batch-worker': 472 * KB },
      budgetsOf('users-api'),
    );

    expect(rows.find((row) => row.app === 'batch-worker')?.status).toBe('no budget');
    expect(failures).toEqual([
      'batch-worker has no entry in budgets.json: add "batch-worker": { "budgetKb": …, "goalKb": …, "why": "…" }',
    ]);
  });

  it('reports a goal not met without failing', () => {
    const { rows, failures } = checkBudgets(
      { 'upload-processor': 630.6 * KB },
      budgetsOf('upload-processor'),
    );

    expect(failures).toEqual([]);
    expect(rows).toEqual([
      {
        app: 'upload-processor',
        sizeKb: 630.6,
        budgetKb: 665,
        goalKb: 400,
        status: 'ok',
        goalMet: false,
      },
    ]);
  });

  it('has no goal verdict for an app whose goal is null', () => {
    const { rows } = checkBudgets({ 'image-resizer': 462 * KB }, budgetsOf('image-resizer'));

    expect(rows[0]?.goalMet).toBeUndefined();
  });

  it('fails an app that has not been built, saying to build first', () => {
    const { rows, failures } = checkBudgets({ 'users-api': undefined }, budgetsOf('users-api'));

    expect(rows[0]?.status).toBe('no dist');
    expect(failures).toEqual(['apps/users-api/dist/index.mjs is missing: run pnpm build first']);
  });

  it('fails a budget for an app that does not exist (renamed or removed)', () => {
    const { failures } = checkBudgets(
      { 'users-api': 300 * KB },
      { ...budgetsOf('users-api'), 'old-api': { budgetKb: 100, goalKb: null, why: 'renamed' } },
    );

    expect(failures).toEqual([
      'budgets.json has an entry for "old-api", which is not an app in apps/: remove it',
    ]);
  });
});

describe('parseBudgets', () => {
  it('accepts a budget with a goal or with goalKb null', () => {
    expect(parseBudgets(budgets)).toEqual(budgets);
  });

  it('names every malformed entry in one error', () => {
    const malformed = {
      a: { budgetKb: -1, goalKb: null, why: 'x' },
      b: { budgetKb: 10, goalKb: '400', why: 'x' },
      c: { budgetKb: 10, goalKb: null, why: ' ' },
      d: { goalKb: null, why: 'x' },
    };

    expect(() => parseBudgets(malformed)).toThrow(BudgetsFileError);
    expect(() => parseBudgets(malformed)).toThrow(
      [
        'budgets.json is invalid:',
        'a: "budgetKb" must be a positive number of KB',
        'b: "goalKb" must be a positive number of KB, or null when no goal was named',
        'c: "why" must say why',
        'd: "budgetKb" must be a positive number of KB',
      ].join('\n'),
    );
  });

  it('rejects a file that is not an object keyed by app', () => {
    expect(() => parseBudgets([])).toThrow('budgets.json must be an object keyed by app name');
  });
});

describe('formatBudgetTable', () => {
  it('prints app, size, budget, goal and status, with – for no goal and the way left to a goal', () => {
    const { rows } = checkBudgets(
      { 'users-api': 379.9 * KB, 'upload-processor': 630.6 * KB, 'image-resizer': 462.5 * KB },
      budgets,
    );

    expect(formatBudgetTable(rows).split('\n')).toEqual([
      'app                size KB   budget KB   goal KB   status',
      'image-resizer        462.5         490         –   OK',
      'upload-processor     630.6         665       400   OK, goal not met (230.6 KB to go)',
      'users-api            379.9         400       400   OK, goal met',
    ]);
  });
});

describe('the repository budgets.json', () => {
  it('is valid and has exactly one entry per app in apps/', () => {
    const parsed = parseBudgets(JSON.parse(readFileSync(join(repoRoot, 'budgets.json'), 'utf8')));

    expect(Object.keys(parsed).sort()).toEqual(readAppManifests(repoRoot).map(({ name }) => name));
  });
});

describe('budgets-cli', () => {
  let repo: ReturnType<typeof scratchRepo> | undefined;
  afterEach(() => repo?.remove());

  const budgetsJson = JSON.stringify({ a: { budgetKb: 2, goalKb: 1, why: 'test' } });

  it('prints the table and exits 0 when every app is within budget', () => {
    repo = scratchRepo({
      'budgets.json': budgetsJson,
      'apps/a/package.json': appManifest('a'),
      'apps/a/dist/index.mjs': 'x'.repeat(1536),
    });

    const { status, stdout } = runCli('budgets-cli', [], repo.root);

    expect(status).toBe(0);
    expect(stdout).toMatch(/^a +1\.5 +2 +1 +OK, goal not met \(0\.5 KB to go\)$/m);
  });

  it('exits 1 when an app is over budget', () => {
    repo = scratchRepo({
      'budgets.json': budgetsJson,
      'apps/a/package.json': appManifest('a'),
      'apps/a/dist/index.mjs': 'x'.repeat(3 * KB),
    });

    const { status, stderr } = runCli('budgets-cli', [], repo.root);

    expect(status).toBe(1);
    expect(stderr).toContain('a: dist/index.mjs is 3.0 KB, over its 2 KB budget by 1.0 KB (1024 B)');
  });

  it('exits 1 saying to build first when an app has no dist', () => {
    repo = scratchRepo({ 'budgets.json': budgetsJson, 'apps/a/package.json': appManifest('a') });

    const { status, stderr } = runCli('budgets-cli', [], repo.root);

    expect(status).toBe(1);
    expect(stderr).toContain('apps/a/dist/index.mjs is missing: run pnpm build first');
  });

  it('exits 1 when budgets.json is missing', () => {
    repo = scratchRepo({ 'apps/a/package.json': appManifest('a') });

    const { status, stderr } = runCli('budgets-cli', [], repo.root);

    expect(status).toBe(1);
    expect(stderr).toMatch(/Cannot read budgets\.json: .*budgets\.json does not exist/);
  });
});
