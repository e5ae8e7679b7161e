#!/usr/bin/env node
// Usage, from an app's folder:
//   bundle-lambda                          → dist/index.mjs, its source map and meta.json (the `build` script)
//   bundle-lambda --artifact <dir> [--runtime nodejs24.x --arch arm64|x64]
//                                          → <dir>/index.mjs and its source map only (a Lambda artifact),
//                                            and with --runtime, Node's compile cache for it made by that
//                                            runtime's Node.js for that architecture (src/compile-cache.mjs)
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleLambda } from '../src/bundle-lambda.mjs';
import { compileCacheDirName, writeCompileCache } from '../src/compile-cache.mjs';

const { values } = parseArgs({
  options: { artifact: { type: 'string' }, runtime: { type: 'string' }, arch: { type: 'string' } },
});
if (values.runtime && !values.artifact)
  fail('--runtime needs --artifact: only an artifact carries a compile cache');
if (values.runtime && values.arch !== 'x64' && values.arch !== 'arm64') fail('--arch must be x64 or arm64');
const artifactDir = values.artifact ? resolve(values.artifact) : undefined;
const { outFile } = await bundleLambda({
  appDir: process.cwd(),
  ...(artifactDir ? { outDir: artifactDir, metafile: false } : {}),
});
console.log(`bundled ${outFile}`);

if (artifactDir && values.runtime) {
  try {
    const { folder, bytes } = await writeCompileCache({
      artifactDir,
      runtime: values.runtime,
      arch: /** @type {'x64' | 'arm64'} */ (values.arch),
    });
    console.log(`compile cache ${folder} (${(bytes / 1024).toFixed(1)} KB)`);
  } catch (error) {
    // The function runs the same without it, only its cold start compiles the bundle (about 10 ms more
    // for users-api): say so, and let the build go on.
    console.warn(
      `warning: no compile cache in ${artifactDir}/${compileCacheDirName}: ${error instanceof Error ? error.message : error}`,
    );
  }
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`bundle-lambda: ${message}`);
  process.exit(2);
}
