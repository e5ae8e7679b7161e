import { appTestProjects } from '@repo/testing/vitest-projects';
import { defineConfig } from 'vitest/config';

// Unit tests get the variables template.yaml sets (AWS is mocked).
export default defineConfig({
  test: {
    projects: appTestProjects({
      unitEnv: {
        UPLOADS_TABLE_NAME: 'uploads-unit',
        UPLOADS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:uploads-unit',
      },
    }),
  },
});
