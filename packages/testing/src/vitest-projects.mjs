// @ts-check
// Plain JavaScript: vitest loads its config files with Node itself, which (on Node 20) runs no TypeScript.

/** Node 20 runs the tests here; Lambda runs Node 22, where the SDK never prints this warning. */
const quietSdk = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** A fake Lambda environment for unit tests: AWS is mocked, so these only satisfy config and the SDK. */
const unitAws = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  // What Lambda sets for on-demand sandboxes; Powertools flags and counts cold starts only then.
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
};

/**
 * Every app's two vitest projects: `unit` (tests/unit, AWS mocked, with `unitEnv` on top of a fake
 * Lambda environment) and `integration` (tests/integration, one moto_server for the run).
 * @param {{ unitEnv?: Record<string, string>; unitTimeoutMs?: number }} [options]
 */
export function appTestProjects({ unitEnv = {}, unitTimeoutMs = 5_000 } = {}) {
  return [
    {
      test: {
        name: 'unit',
        include: ['tests/unit/**/*.test.ts'],
        testTimeout: unitTimeoutMs,
        env: { ...unitAws, ...quietSdk, ...unitEnv },
      },
    },
    {
      test: {
        name: 'integration',
        include: ['tests/integration/**/*.test.ts'],
        globalSetup: ['@repo/testing/moto-global-setup'],
        env: quietSdk,
        testTimeout: 30_000,
        hookTimeout: 30_000,
      },
    },
  ];
}
