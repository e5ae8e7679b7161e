import { defineConfig } from 'vitest/config';

// tests/template.test.ts builds every function with its Makefile (turbo, esbuild) before importing it.
export default defineConfig({ test: { testTimeout: 60_000 } });
