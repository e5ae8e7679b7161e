import { appTestProjects } from '@repo/testing/vitest-projects';
import { defineConfig } from 'vitest/config';

// Unit tests run real sharp on generated photos (S3 mocked): allow for a busy machine.
export default defineConfig({
  test: { projects: appTestProjects({ unitEnv: { DEFAULT_BUCKET: 'jobs-unit' }, unitTimeoutMs: 30_000 }) },
});
