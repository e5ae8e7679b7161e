import { defineConfig } from 'vitest/config';

// tests/contract.test.ts runs the SAM translator (python) and the TypeScript compiler API on the built apps.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
