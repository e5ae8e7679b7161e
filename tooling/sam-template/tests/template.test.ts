import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileCacheDirName } from '@repo/bundler/compile-cache';
import { lambdaNodeArgs } from '@repo/node/node-path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findWorkspaceRoot,
  readTemplate,
  type ServerlessFunction,
  serverlessFunctions,
} from '../src/read-template.ts';
import { evaluateConditions, type LocalStack, resolveIntrinsics } from '../src/resolve-intrinsics.ts';

const root = findWorkspaceRoot();
const template = readTemplate();
const functions = serverlessFunctions(template);
const artifactDirs = new Map<string, string>();
const tempDirs: string[] = [];

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const installHints: Record<string, string> = {
  'cfn-lint': 'pip install cfn-lint',
  make: 'install GNU make with your package manager',
};

/** Runs a command to completion; a missing tool fails the test (never skips it) with how to install it. */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    expect.fail(`${command} is not installed: ${installHints[command] ?? 'see README: Prerequisites'}`);
  }
  return result;
}

// Node quotes the throwing line of the minified bundle: hundreds of kilobytes on one line.
const shortLines = (text: string) =>
  text
    .split('\n')
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
    .join('\n');

const output = (result: SpawnSyncReturns<string>) => `${result.stdout}${result.stderr}`.trim();

/** This machine's architecture as Lambda names it. */
const hostArchitecture = process.arch === 'arm64' ? 'arm64' : 'x86_64';

/** Runs the function's Makefile target as `sam build` does with build_in_source (once per function). */
function buildArtifacts(fn: ServerlessFunction): string {
  const built = artifactDirs.get(fn.logicalId);
  if (built) return built;
  const codeUri = join(root, String(fn.properties.CodeUri));
  const artifactsDir = mkdtempSync(join(tmpdir(), `sam-${fn.logicalId}-`));
  tempDirs.push(artifactsDir);
  const result = run('make', ['--makefile', join(codeUri, 'Makefile'), `build-${fn.logicalId}`], {
    cwd: codeUri,
    // Native dependencies are installed for LAMBDA_ARCH; this test imports the artifact on this host, so
    // it builds for the host's architecture (the arm64 artifact itself is proven by `pnpm test:arm64`).
    env: { ...process.env, ARTIFACTS_DIR: artifactsDir, LAMBDA_ARCH: hostArchitecture },
  });
  expect(result.status, `make build-${fn.logicalId} failed:\n${output(result)}`).toBe(0);
  artifactDirs.set(fn.logicalId, artifactsDir);
  return artifactsDir;
}

/** `index.handler` → the artifact's `index.mjs` (or .js/.cjs) and the export `handler`. */
function handlerFile(fn: ServerlessFunction, artifactsDir: string) {
  const handler = String(fn.properties.Handler);
  const dot = handler.lastIndexOf('.');
  const base = join(artifactsDir, handler.slice(0, dot));
  const file = ['.mjs', '.js', '.cjs'].map((extension) => base + extension).find((path) => existsSync(path));
  return { file, exportName: handler.slice(dot + 1) };
}

// Deployed values are unknown here: a resource stands in by its logical id, a parameter by its default
// (CORS_ALLOWED_ORIGIN must be '*' or a URL, so the name `CorsAllowedOrigin` would not do).
const stackBase = {
  region: 'us-east-1',
  accountId: '123456789012',
  stackName: 'template-test',
  parameters: Object.fromEntries(
    Object.entries(template.Parameters ?? {}).map(([name, definition]) => [
      name,
      String((definition as { Default?: unknown }).Default ?? name),
    ]),
  ),
  // What `!Ref` returns differs by type: a topic's ARN, a queue's URL, otherwise a name.
  physicalIds: Object.fromEntries(
    Object.entries(template.Resources).map(([logicalId, resource]) => [
      logicalId,
      resource.Type === 'AWS::SNS::Topic'
        ? `arn:aws:sns:us-east-1:123456789012:${logicalId}`
        : resource.Type === 'AWS::SQS::Queue'
          ? `https://sqs.us-east-1.amazonaws.com/123456789012/${logicalId}`
          : logicalId,
    ]),
  ),
};
const stack: LocalStack = {
  ...stackBase,
  conditions: evaluateConditions(template.Conditions ?? {}, stackBase),
};

/** What Lambda would give the function: the template's variables plus the runtime's own. */
function lambdaEnvironment(fn: ServerlessFunction, taskRoot: string): Record<string, string> {
  const variables = (fn.properties.Environment as { Variables?: Record<string, unknown> } | undefined)
    ?.Variables;
  // The artifact stands where Lambda unpacks it: a path the template gives under /var/task is the artifact's.
  const inTaskRoot = (value: string) => value.replace(/^\/var\/task(?=\/|$)/, taskRoot);
  return {
    PATH: process.env.PATH ?? '',
    ...Object.fromEntries(
      Object.entries(variables ?? {}).map(([name, value]) => [
        name,
        inTaskRoot(String(resolveIntrinsics(value, stack))),
      ]),
    ),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
  };
}

const importScript = `
const [file, exportName] = process.argv.slice(1);
const module = await import(file);
if (typeof module[exportName] !== 'function') {
  console.error(\`\${exportName} is not an exported function of \${file}\`);
  process.exit(1);
}`;

/**
 * Imports the handler file in a fresh node process with exactly `env`, started as Lambda's bootstrap starts
 * node (512 MB; the flags name the compile cache's folder): a Lambda cold start.
 */
function coldStart(
  file: string,
  exportName: string,
  env: Record<string, string>,
  flags = lambdaNodeArgs(512),
) {
  return run(
    process.execPath,
    [...flags, '--input-type=module', '--eval', importScript, pathToFileURL(file).href, exportName],
    { env },
  );
}

function policyStatements(fn: ServerlessFunction): Record<string, unknown>[] {
  const policies = fn.properties.Policies;
  return (Array.isArray(policies) ? policies : [policies])
    .flatMap((policy) => (policy as { Statement?: unknown } | undefined)?.Statement ?? [])
    .filter(
      (statement): statement is Record<string, unknown> =>
        typeof statement === 'object' && statement !== null,
    );
}

/** `[section]` → its `key = value` lines, values as written (samconfig.toml is flat). */
function tomlSections(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>([['', new Map()]]);
  let current = sections.get('') as Map<string, string>;
  for (const line of text.split('\n').map((raw) => raw.trim())) {
    const header = /^\[([^\]]+)\]$/.exec(line);
    const pair = /^([\w.-]+)\s*=\s*(.+)$/.exec(line);
    if (header?.[1]) {
      current = new Map();
      sections.set(header[1], current);
    } else if (pair?.[1] && pair[2]) current.set(pair[1], pair[2]);
  }
  return sections;
}

describe('template.yaml', () => {
  it('passes cfn-lint (which applies the SAM transform) without a finding', () => {
    const result = run('cfn-lint', ['template.yaml'], { cwd: root });

    expect(output(result)).toBe('');
    expect(result.status).toBe(0);
  });

  it('gives every function Node.js 24 on arm64, X-Ray tracing and source-mapped stack traces', () => {
    const globals = template.Globals?.Function;

    expect(globals?.Runtime).toBe('nodejs24.x');
    expect(globals?.Architectures).toEqual(['arm64']);
    expect(globals?.Tracing).toBe('Active');
    expect(globals?.Environment).toMatchObject({
      Variables: { NODE_OPTIONS: expect.stringContaining('--enable-source-maps') },
    });
  });

  it('takes the deployment stage as the Stage parameter', () => {
    expect(template.Parameters).toHaveProperty('Stage');
  });

  it('declares at least one serverless function', () => {
    expect(functions.length).toBeGreaterThan(0);
  });
});

describe('samconfig.toml', () => {
  const sections = tomlSections(readFileSync(join(root, 'samconfig.toml'), 'utf8'));

  it('builds in source, so each Makefile runs inside the workspace', () => {
    expect(sections.get('default.build.parameters')?.get('build_in_source')).toBe('true');
  });

  it('deploys a dev and a prod stack', () => {
    expect(sections.get('dev.deploy.parameters')?.get('stack_name')).toBeDefined();
    expect(sections.get('prod.deploy.parameters')?.get('stack_name')).toBeDefined();
  });
});

describe.each(functions)('serverless function $logicalId', (fn) => {
  it('is built by its own Makefile target (BuildMethod: makefile)', () => {
    const makefile = join(root, String(fn.properties.CodeUri), 'Makefile');

    expect(template.Resources[fn.logicalId]?.Metadata?.BuildMethod).toBe('makefile');
    expect(existsSync(makefile), `${makefile} is missing`).toBe(true);
    expect(readFileSync(makefile, 'utf8')).toMatch(new RegExp(`^build-${fn.logicalId}:`, 'm'));
  });

  it("bundles into ARTIFACTS_DIR by itself, never through its app's dist/ (so it need not wait for pnpm build)", () => {
    // apps/<app>/dist is written only by the app's `build` task, and other tasks read it meanwhile; turbo
    // runs this test (as CI runs `sam build`) beside those builds. `make -n` prints the recipe, runs nothing.
    const codeUri = join(root, String(fn.properties.CodeUri));
    const artifactsDir = mkdtempSync(join(tmpdir(), `sam-${fn.logicalId}-recipe-`));
    tempDirs.push(artifactsDir);

    const recipe = run('make', ['-n', '--makefile', join(codeUri, 'Makefile'), `build-${fn.logicalId}`], {
      cwd: codeUri,
      env: { ...process.env, ARTIFACTS_DIR: artifactsDir },
    });

    expect(recipe.status, output(recipe)).toBe(0);
    const quoted = artifactsDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(recipe.stdout).toMatch(new RegExp(`bundle-lambda\\S* --artifact "?${quoted}"?`));
    expect(recipe.stdout).not.toMatch(/\bdist\b|\bturbo\b/);
  });

  it('packages native code for the architecture the template gives it', () => {
    const makefile = join(root, String(fn.properties.CodeUri), 'Makefile');
    const architectures = (fn.properties.Architectures as string[] | undefined) ?? ['x86_64'];
    const { LAMBDA_ARCH: _ignored, ...env } = process.env;

    const printed = run('make', ['-s', '--makefile', makefile, 'print-arch'], { env });

    expect(printed.stdout.trim()).toBe(architectures[0]);
  });

  it('builds, as sam build does, into its handler file and source map', () => {
    const artifactsDir = buildArtifacts(fn);

    const { file } = handlerFile(fn, artifactsDir);

    expect(file, `no ${fn.properties.Handler} module in ${artifactsDir}`).toBeDefined();
    expect(existsSync(`${file}.map`), `${file}.map is missing`).toBe(true);
  });

  it('starts with only the environment the template gives it (every required variable is set)', () => {
    const artifactsDir = buildArtifacts(fn);
    const { file, exportName } = handlerFile(fn, artifactsDir);

    const result = coldStart(String(file), exportName, lambdaEnvironment(fn, artifactsDir));

    expect(result.status, `importing ${file} failed:\n${shortLines(result.stderr)}`).toBe(0);
  });

  it('ships a compile cache of its bundle that the Node.js of its runtime accepts at its first start', () => {
    const artifactsDir = buildArtifacts(fn);
    const { file, exportName } = handlerFile(fn, artifactsDir);
    const env: Record<string, string> = {
      ...lambdaEnvironment(fn, artifactsDir),
      NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
    };

    const result = coldStart(String(file), exportName, env);

    expect(result.status, shortLines(result.stderr)).toBe(0);
    expect(env.NODE_COMPILE_CACHE).toBe(join(artifactsDir, compileCacheDirName));
    expect(result.stderr).toMatch(/V8 code cache for ESM file:\S*\/index\.mjs was accepted/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('Compile cache not used');
  });

  it('says once, at WARN, when it starts on a Node.js its compile cache was not made for, and runs', () => {
    // Every other start here is Lambda's (flags as its bootstrap's); this one, the only one without them,
    // is the first start of a Node.js whose cache folder has another name: a miss.
    const artifactsDir = buildArtifacts(fn);
    const { file, exportName } = handlerFile(fn, artifactsDir);
    const made = readdirSync(join(artifactsDir, compileCacheDirName));

    const result = coldStart(String(file), exportName, lambdaEnvironment(fn, artifactsDir), []);

    expect(result.status, shortLines(result.stderr)).toBe(0);
    const warnings = `${result.stdout}${result.stderr}`
      .split('\n')
      .filter((line) => line.includes('Compile cache not used'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(String(warnings[0]))).toMatchObject({
      level: 'WARN',
      compileCache: {
        running: `${process.version}-${process.arch}`,
        // the folder the build made (where the artifact is writable, as here, Node.js also makes its own)
        shipped: expect.arrayContaining(made),
      },
    });
  });

  it('names the runtime the template gives it to the Makefile that makes its compile cache', () => {
    const makefile = join(root, String(fn.properties.CodeUri), 'Makefile');
    const { LAMBDA_RUNTIME: _ignored, ...env } = process.env;

    const printed = run('make', ['-s', '--makefile', makefile, 'print-runtime'], { env });

    expect(printed.stdout.trim()).toBe(fn.properties.Runtime);
  });

  it('logs to its own log group, which has a retention period', () => {
    const logGroup = (fn.properties.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup;
    const resource = template.Resources[String(logGroup?.Ref)];

    expect(logGroup, 'LoggingConfig.LogGroup must be a !Ref').toEqual({ Ref: expect.any(String) });
    expect(resource?.Type).toBe('AWS::Logs::LogGroup');
    expect(resource?.Properties?.RetentionInDays).toBeDefined();
  });

  it('names every action its policies allow (no wildcards)', () => {
    const unnamed = policyStatements(fn).flatMap((statement) =>
      statement.Action === undefined
        ? ['a statement without Action']
        : [statement.Action].flat().filter((action) => typeof action !== 'string' || action.includes('*')),
    );

    expect(unnamed).toEqual([]);
  });
});

describe('the cold-start environment check', () => {
  it('fails, naming the variable, when the template leaves out one the config requires', () => {
    const fn = functions.find(({ logicalId }) => logicalId === 'UsersApiFunction');
    expect(fn, 'UsersApiFunction is no longer in template.yaml: pick another function').toBeDefined();
    const artifactsDir = buildArtifacts(fn as ServerlessFunction);
    const { file, exportName } = handlerFile(fn as ServerlessFunction, artifactsDir);
    const { USERS_TABLE_NAME, ...withoutTable } = lambdaEnvironment(fn as ServerlessFunction, artifactsDir);
    expect(USERS_TABLE_NAME).toBeDefined();

    const result = coldStart(String(file), exportName, withoutTable);

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/ConfigError.*USERS_TABLE_NAME is missing/);
  });
});
