import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Many of these tests spawn the CLIs (tsx) and cfn-lint: seconds on a loaded CI machine.
  test: { testTimeout: 60_000 },
});
