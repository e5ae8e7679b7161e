import { defineConfig } from 'vitest/config';

// tests/template.test.ts runs cfn-lint and builds every function with its Makefile (esbuild, sharp)
// before importing it: seconds each, tens of seconds on a loaded machine. The limit only bounds a hung test.
export default defineConfig({ test: { testTimeout: 300_000, hookTimeout: 300_000 } });
