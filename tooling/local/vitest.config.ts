import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Generous: these only bound a test that is failing. The end-to-end tests start pnpm dev (moto, four
    // bundles, sharp) on machines as loaded as a 2-core CI runner beside a full turbo run.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Most of these tests wait on child processes (pnpm dev, pnpm invoke, moto): two files at a time keep
    // both cores busy where vitest's default (cores − 1) would run them one after another.
    maxWorkers: 2,
  },
});
