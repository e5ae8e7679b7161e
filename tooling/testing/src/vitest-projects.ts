import type { TestProjectInlineConfiguration } from 'vitest/config';

/** A fake Lambda environment for unit tests: AWS is mocked, so these only satisfy config and the SDK. */
const unitAws = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  // What Lambda sets for on-demand sandboxes; Powertools flags and counts cold starts only then.
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
};

// Timeouts only catch a hang, so they are generous: on a loaded 2-core CI runner a test may take many
// times as long as on a laptop, and hooks start moto_server (startMoto allows it 60 s) or spawn sharp work.
const unitTimeoutDefaultMs = 30_000;
const integrationTimeoutMs = 60_000;
const hookTimeoutMs = 90_000;

/**
 * Every app's two vitest projects: `unit` (tests/unit, AWS mocked, with `unitEnv` on top of a fake
 * Lambda environment) and `integration` (tests/integration, one moto_server for the run).
 */
export function appTestProjects({
  unitEnv = {},
  unitTimeoutMs = unitTimeoutDefaultMs,
}: {
  unitEnv?: Record<string, string>;
  unitTimeoutMs?: number;
} = {}): TestProjectInlineConfiguration[] {
  return [
    {
      test: {
        name: 'unit',
        include: ['tests/unit/**/*.test.ts'],
        testTimeout: unitTimeoutMs,
        hookTimeout: hookTimeoutMs,
        env: { ...unitAws, ...unitEnv },
      },
    },
    {
      test: {
        name: 'integration',
        include: ['tests/integration/**/*.test.ts'],
        globalSetup: ['@repo/testing/moto-global-setup'],
        testTimeout: integrationTimeoutMs,
        hookTimeout: hookTimeoutMs,
      },
    },
  ];
}
