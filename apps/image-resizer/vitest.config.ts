import { appTestProjects } from '@repo/testing/vitest-projects';
import { defineConfig } from 'vitest/config';

// Unit tests run real sharp on generated photos: allow more than the default 5 s on a busy machine.
export default defineConfig({ test: { projects: appTestProjects({ unitTimeoutMs: 20_000 }) } });
