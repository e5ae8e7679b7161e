import { defineConfig } from 'vitest/config';

// Starting moto_server takes a second alone and many more beside a full parallel turbo run on a loaded
// machine: startMoto waits up to 60 s for it.
export default defineConfig({ test: { testTimeout: 90_000, hookTimeout: 90_000 } });
