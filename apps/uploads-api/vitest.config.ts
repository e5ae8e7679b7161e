import { appTestProjects } from '@repo/testing/vitest-projects';
import { defineConfig } from 'vitest/config';

// Unit tests get the variables template.yaml sets (S3 is mocked).
export default defineConfig({
  test: {
    projects: appTestProjects({ unitEnv: { UPLOADS_BUCKET_NAME: 'uploads-unit' } }),
  },
});
