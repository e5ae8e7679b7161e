import { defineConfig } from 'vitest/config';

// Node 20 runs the tests here; Lambda runs Node 22, where the SDK never prints this warning.
const quietSdk = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          testTimeout: 20_000,
          env: {
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            POWERTOOLS_LOG_LEVEL: 'SILENT',
            ...quietSdk,
          },
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
    ],
  },
});
