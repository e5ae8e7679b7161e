import { afterEach, describe, expect, it } from 'vitest';
import { type AppFacts, checkLayout, inputPathInRepo, type LayoutFacts } from '../src/layout.ts';
import { appManifest, runCli, scratchRepo } from './cli-fixture.ts';

const root = '/repo';
const packages = [
  { name: '@repo/aws', dir: 'packages/aws' },
  { name: '@repo/logging', dir: 'packages/logging' },
];
const tooling = [
  { name: '@repo/bundler', dir: 'tooling/bundler' },
  { name: '@repo/testing', dir: 'tooling/testing' },
];

/** An app as the CLI reads it; its bundle inputs as esbuild writes them, relative to the app's folder. */
const app = (name: string, overrides: Partial<AppFacts> = {}): AppFacts => ({
  name,
  dir: `apps/${name}`,
  dependencies: ['@repo/aws', '@repo/logging', 'zod'],
  devDependencies: ['@repo/bundler', 'vitest'],
  bundleInputs: [
    'src/handler.ts',
    '../../packages/aws/src/s3.ts',
    '../../packages/logging/src/logger.ts',
    '../../node_modules/.pnpm/zod@4.6.7/node_modules/zod/index.js',
  ],
  ...overrides,
});

/** A repository with users-api (clean unless overridden) and image-resizer (clean). */
const repo = (usersApi: Partial<AppFacts> = {}, more: Partial<LayoutFacts> = {}): LayoutFacts => ({
  root,
  apps: [app('users-api', usersApi), app('image-resizer')],
  packages,
  tooling,
  ...more,
});

const cleanInputs = app('users-api').bundleInputs as string[];

describe('checkLayout', () => {
  const cases: { name: string; facts: LayoutFacts; problems: string[] }[] = [
    { name: 'a clean repository: no problems', facts: repo(), problems: [] },
    {
      name: 'a bundle input under tooling/ (relative to the app folder esbuild ran in)',
      facts: repo({ bundleInputs: [...cleanInputs, '../../tooling/testing/src/api-gateway-event.ts'] }),
      problems: [
        'apps/users-api: its bundle includes tooling/testing/src/api-gateway-event.ts (@repo/testing), and ' +
          'tooling/ code never ships: move what the function uses into a packages/ workspace and import it ' +
          'from there',
      ],
    },
    {
      name: 'every tooling/ input named on its own line, sorted, a folder with no package.json included',
      facts: repo({
        bundleInputs: [
          ...cleanInputs,
          '../../tooling/bundler/src/xray-semver.cjs',
          '../../tooling/scratch/helper.ts',
          '../../tooling/bundler/src/lambda-credentials.mjs',
        ],
      }),
      problems: [
        expect.stringMatching(
          /^apps\/users-api: its bundle includes tooling\/bundler\/src\/lambda-cred.*\.mjs \(@repo\/bundler\), and tooling\/ code never ships: /,
        ),
        expect.stringMatching(
          /^apps\/users-api: its bundle includes tooling\/bundler\/src\/xray-semver\.cjs \(@repo\/bundler\), /,
        ),
        expect.stringMatching(
          /^apps\/users-api: its bundle includes tooling\/scratch\/helper\.ts, and tooling\//,
        ),
      ],
    },
    {
      name: 'an app depending on a tooling workspace',
      facts: repo({ dependencies: ['@repo/aws', '@repo/testing', '@repo/logging'] }),
      problems: [
        'apps/users-api: package.json "dependencies" names @repo/testing (tooling/testing), and tooling/ code ' +
          'never ships: move it to "devDependencies" if only tests and scripts use it, or move what the ' +
          'function uses into a packages/ workspace',
      ],
    },
    {
      name: 'a devDependency on tooling workspaces: fine',
      facts: repo({ devDependencies: ['@repo/bundler', '@repo/testing'] }),
      problems: [],
    },
    {
      name: 'an unreachable package',
      facts: repo({}, { packages: [...packages, { name: '@repo/zzz', dir: 'packages/zzz' }] }),
      problems: [
        "packages/zzz (@repo/zzz) ships in no function: move it to tooling/ or delete it (no app's bundle " +
          'includes any of its files)',
      ],
    },
    {
      name: 'a package reached by one app only: fine',
      facts: {
        root,
        apps: [
          app('users-api'),
          app('image-resizer', {
            bundleInputs: [...cleanInputs, '../../packages/image/src/resize-image.ts'],
          }),
        ],
        packages: [...packages, { name: '@repo/image', dir: 'packages/image' }],
        tooling,
      },
      problems: [],
    },
    {
      name: 'a package that is a dependency but which no import reaches',
      facts: repo(
        { dependencies: ['@repo/aws', '@repo/logging', '@repo/image'] },
        { packages: [...packages, { name: '@repo/image', dir: 'packages/image' }] },
      ),
      problems: [expect.stringMatching(/^packages\/image \(@repo\/image\) ships in no function: /)],
    },
    {
      name: 'a package whose folder name is the start of a reached one',
      facts: {
        root,
        apps: [
          app('users-api', {
            bundleInputs: [
              'src/handler.ts',
              '../../packages/aws-extra/src/x.ts',
              '../../packages/logging/src/a.ts',
            ],
          }),
        ],
        packages: [...packages, { name: '@repo/aws-extra', dir: 'packages/aws-extra' }],
        tooling,
      },
      problems: [expect.stringMatching(/^packages\/aws \(@repo\/aws\) ships in no function/)],
    },
    {
      name: 'a missing meta.json: build first, and no package judged unreachable from a bundle unread',
      facts: {
        root,
        apps: [app('users-api', { bundleInputs: 'missing' })],
        packages: [...packages, { name: '@repo/zzz', dir: 'packages/zzz' }],
        tooling,
      },
      problems: ['apps/users-api/dist/meta.json is missing: run pnpm build'],
    },
    {
      name: 'a meta.json that is not a metafile',
      facts: repo({ bundleInputs: 'malformed' }),
      problems: [
        'apps/users-api/dist/meta.json is not an esbuild metafile (no "inputs" object): run pnpm build',
      ],
    },
    {
      name: 'an app depending on tooling still reported when its meta.json is missing',
      facts: repo({ bundleInputs: 'missing', dependencies: ['@repo/bundler'] }),
      problems: [
        'apps/users-api/dist/meta.json is missing: run pnpm build',
        expect.stringMatching(
          /^apps\/users-api: package\.json "dependencies" names @repo\/bundler \(tooling\/bundler\)/,
        ),
      ],
    },
  ];

  it.each(cases)('$name', ({ facts, problems }) => {
    expect(checkLayout(facts)).toEqual(problems);
  });

  it('reports apps in folder order, whatever order they are given in', () => {
    const bad = { dependencies: ['@repo/testing'] };
    const facts: LayoutFacts = { root, apps: [app('b', bad), app('a', bad)], packages, tooling };

    expect(checkLayout(facts).map((line) => line.split(':')[0])).toEqual(['apps/a', 'apps/b']);
  });
});

describe('inputPathInRepo', () => {
  it.each([
    ['src/handler.ts', 'apps/users-api/src/handler.ts'],
    ['../../tooling/bundler/src/xray-semver.cjs', 'tooling/bundler/src/xray-semver.cjs'],
    ['../../packages/aws/src/s3.ts', 'packages/aws/src/s3.ts'],
    ['/repo/tooling/testing/src/x.ts', 'tooling/testing/src/x.ts'],
    ['../../../elsewhere/x.ts', undefined],
  ])('resolves %s against the app folder to %s', (input, expected) => {
    expect(inputPathInRepo(root, 'apps/users-api', input)).toBe(expected);
  });
});

describe('layout-cli', () => {
  let scratch: ReturnType<typeof scratchRepo> | undefined;
  afterEach(() => scratch?.remove());

  const manifest = (name: string, fields: Record<string, unknown> = {}) =>
    `${JSON.stringify({ name, private: true, ...fields })}\n`;
  const metafile = (...inputs: string[]) =>
    JSON.stringify({ inputs: Object.fromEntries(inputs.map((input) => [input, { bytes: 1, imports: [] }])) });
  const layout = {
    'packages/aws/package.json': manifest('@repo/aws'),
    'tooling/testing/package.json': manifest('@repo/testing'),
  };

  it('exits 0 for a clean layout, an app devDepending on a tooling workspace included', () => {
    scratch = scratchRepo({
      ...layout,
      'apps/a/package.json': manifest('a', {
        dependencies: { '@repo/aws': 'workspace:*' },
        devDependencies: { '@repo/testing': 'workspace:*' },
      }),
      'apps/a/dist/meta.json': metafile('src/handler.ts', '../../packages/aws/src/s3.ts'),
    });

    const { status, stdout, stderr } = runCli('layout-cli', [], scratch.root);

    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toContain('layout OK');
  });

  it('exits 1 with one line per problem', () => {
    scratch = scratchRepo({
      ...layout,
      'packages/zzz/package.json': manifest('@repo/zzz'),
      'apps/a/package.json': manifest('a', { dependencies: { '@repo/testing': 'workspace:*' } }),
      'apps/a/dist/meta.json': metafile(
        'src/handler.ts',
        '../../packages/aws/src/s3.ts',
        '../../tooling/testing/src/x.ts',
      ),
    });

    const { status, stderr } = runCli('layout-cli', [], scratch.root);

    expect(status).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^apps\/a: its bundle includes tooling\/testing\/src\/x\.ts \(@repo\/testing\)/),
      expect.stringMatching(
        /^apps\/a: package\.json "dependencies" names @repo\/testing \(tooling\/testing\)/,
      ),
      expect.stringMatching(
        /^packages\/zzz \(@repo\/zzz\) ships in no function: move it to tooling\/ or delete it/,
      ),
    ]);
  });

  it('exits 1 saying to build when an app has no meta.json, or a truncated one', () => {
    scratch = scratchRepo({
      ...layout,
      'apps/a/package.json': appManifest('a'),
      'apps/b/package.json': appManifest('b'),
      'apps/b/dist/meta.json': '{"inputs":{',
    });

    const { status, stderr } = runCli('layout-cli', [], scratch.root);

    expect(status).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'apps/a/dist/meta.json is missing: run pnpm build',
      'apps/b/dist/meta.json is not an esbuild metafile (no "inputs" object): run pnpm build',
    ]);
  });
});
