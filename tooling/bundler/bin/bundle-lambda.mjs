#!/usr/bin/env node
// Usage, from an app's folder:
//   bundle-lambda                          → dist/index.mjs, its source map and meta.json (the `build` script)
//   bundle-lambda --artifact <dir>         → <dir>/index.mjs and its source map only (a Lambda artifact)
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleLambda } from '../src/bundle-lambda.mjs';

const { values } = parseArgs({ options: { artifact: { type: 'string' } } });
const { outFile } = await bundleLambda({
  appDir: process.cwd(),
  ...(values.artifact ? { outDir: resolve(values.artifact), metafile: false } : {}),
});
console.log(`bundled ${outFile}`);
