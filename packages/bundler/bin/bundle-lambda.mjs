#!/usr/bin/env node
// Usage (from an app's folder, as its `build` script): bundle-lambda
import { bundleLambda } from '../src/bundle-lambda.mjs';

const { outFile } = await bundleLambda({ appDir: process.cwd() });
console.log(`bundled ${outFile}`);
