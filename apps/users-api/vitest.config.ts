import { appTestProjects } from '@repo/testing/vitest-projects';
import { defineConfig } from 'vitest/config';

// Unit tests get the environment template.yaml gives the function, with a fake table (DynamoDB is mocked).
export default defineConfig({
  test: {
    projects: appTestProjects({
      // The module's own handler records metrics: keep 3,000 fuzzed invocations from printing EMF.
      unitEnv: { USERS_TABLE_NAME: 'users-unit', POWERTOOLS_METRICS_DISABLED: 'true' },
    }),
  },
});
