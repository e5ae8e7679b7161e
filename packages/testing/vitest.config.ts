import { defineConfig } from 'vitest/config';

// Starting moto_server takes a second alone and several beside a full parallel turbo run.
export default defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000 } });
