// @ts-check
import { mkdir, readFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { basename, join, relative } from 'node:path';
import { build } from 'esbuild';
import writeFileAtomic from 'write-file-atomic';

/**
 * @typedef {object} BundleOptions
 * @property {string} appDir the app's folder (holds package.json and src/handler.ts)
 * @property {string} [outDir] where index.mjs and its source map go; default `<appDir>/dist`
 * @property {boolean} [externalAwsSdk] leave `@aws-sdk/*` to the Lambda runtime instead of bundling it
 * @property {Record<string, string>} [alias] more module substitutions (benchmarks build variants this way)
 * @property {string} [layoutDir] the folder the source map's paths are relative to (default `<appDir>/dist`,
 *   wherever the files go, so a SAM artifact is byte for byte the `pnpm build` bundle; the local stack
 *   passes its own folder so that stack traces name the real sources)
 * @property {boolean} [metafile] also write esbuild's metafile as `meta.json` (default true; a Lambda
 *   artifact leaves it out)
 * @property {string} [target] esbuild's target, such as `node24` (default `node22`, what `pnpm build` and
 *   `sam build` use; the runtime bench builds both to compare)
 */

/**
 * Bundles one Lambda function: `src/handler.ts` → one minified ESM file `index.mjs` (handler export
 * `handler`, so the template's Handler is `index.handler`) with a linked source map.
 * Packages listed under `lambda.external` in the app's package.json stay out of the bundle (native
 * code such as sharp is installed into the artifact for the target architecture instead).
 *
 * Every file is replaced atomically (written beside its target, then renamed over it) and the folder is
 * never emptied first: another process reading the bundle while it is rebuilt (a test, the contract
 * check, `pnpm dev`) sees the old file or the new one, never a missing or half-written one. The outputs
 * are always the same three names, so nothing stale is left behind.
 * @param {BundleOptions} options
 */
export async function bundleLambda({
  appDir,
  outDir = join(appDir, 'dist'),
  externalAwsSdk = false,
  alias = {},
  layoutDir = join(appDir, 'dist'),
  metafile = true,
  target = 'node22',
}) {
  const manifest = JSON.parse(await readFile(join(appDir, 'package.json'), 'utf8'));
  /** @type {string[]} */
  const external = [...(manifest.lambda?.external ?? [])];
  if (externalAwsSdk) external.push('@aws-sdk/*', '@smithy/*');

  const result = await build({
    absWorkingDir: appDir,
    entryPoints: { index: 'src/handler.ts' },
    outdir: layoutDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target,
    minify: true,
    treeShaking: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    // Prefer the ES module builds of dependencies (the AWS SDK ships both) so that tree shaking works.
    mainFields: ['module', 'main'],
    external,
    // Lambda-only stand-ins (@repo/lambda-shims); what each replaces and why: packages/lambda-shims/README.md
    alias: {
      '@aws-sdk/credential-provider-node': lambdaCredentials,
      ...alias,
    },
    plugins: [builtinsWithoutEsmFacades],
    metafile: true,
    write: false,
    logLevel: 'warning',
    // A CommonJS dependency's require() of something not known at build time still needs a require.
    banner: {
      js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);",
    },
  });
  await mkdir(outDir, { recursive: true });
  const files = result.outputFiles.map(({ path, contents }) => ({ name: basename(path), contents }));
  if (metafile) files.push({ name: 'meta.json', contents: JSON.stringify(result.metafile) });
  // write-file-atomic: a temporary file beside the target, renamed over it (npm's own, for the same reason).
  await Promise.all(files.map(({ name, contents }) => writeFileAtomic(join(outDir, name), contents)));
  // esbuild names outputs relative to absWorkingDir (the app's folder).
  const bytes = result.metafile.outputs[relative(appDir, join(layoutDir, 'index.mjs'))]?.bytes;
  return { outFile: join(outDir, 'index.mjs'), bytes, metafile: result.metafile };
}

/**
 * Node built-ins reach the bundle as `process.getBuiltinModule(id)` (Node ≥ 22.3), never as ES-module
 * imports. An `import … from 'node:http'` makes Node build an ES-module facade of the built-in, and
 * building it reads every export — `http`'s lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters
 * among them, which load undici, and with it http2, tls, worker_threads and assert: 21 ms on Node 24.22
 * against 2.6 ms for the same module through require (nodejs/node#59686, open); `fs`, `fs/promises` and
 * `process` pull in readline and the REPL's history the same way. esbuild then wraps each built-in as a
 * CommonJS module and reads its exports only where the code uses them. Measured in users-api's bench
 * (apps/users-api/README.md, Performance). No esbuild option does this (`platform: 'node'` keeps
 * built-ins as external imports in ESM output), hence this plugin. What it still costs: esbuild's
 * interop copies each imported built-in's properties into getters at start (4.3 ms of users-api's cold
 * start, profiled). Tried and dropped: an ES module per built-in with one named export per property —
 * wherever a dependency takes a built-in's whole namespace, esbuild evaluates every export, `http`'s
 * WebSocket getter (undici) included.
 * @type {import('esbuild').Plugin}
 */
const builtinsWithoutEsmFacades = {
  name: 'builtins-without-esm-facades',
  setup(build) {
    const names = new Set(builtinModules);
    build.onResolve({ filter: /^[a-z_:/]+$/ }, ({ path }) => {
      const name = path.replace(/^node:/, '');
      if (!path.startsWith('node:') && !names.has(name)) return undefined;
      return { path: `node:${name}`, namespace: 'node-builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, ({ path }) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(path)});`,
      loader: 'js',
    }));
  },
};

// Resolved through this workspace's own dependency: `pnpm install` is all that sam build (lambda.mk) needs.
const shims = createRequire(import.meta.url);
const lambdaCredentials = shims.resolve('@repo/lambda-shims/lambda-credentials');
