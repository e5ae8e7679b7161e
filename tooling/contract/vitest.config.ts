import { defineConfig } from 'vitest/config';

// tests/contract.test.ts runs the SAM translator (python), the TypeScript compiler API on the built apps
// and the CLI (tsx): seconds each, tens of seconds on a loaded machine. The limits only bound a hung test.
export default defineConfig({ test: { testTimeout: 300_000, hookTimeout: 300_000 } });
