import { appTestProjects } from '@repo/testing/vitest-projects';
import { defineConfig } from 'vitest/config';

// Unit tests run real sharp on generated photos, and the tracing test starts moto: allow for a loaded
// 2-core machine, where these take many times as long as on a laptop.
export default defineConfig({ test: { projects: appTestProjects({ unitTimeoutMs: 60_000 }) } });
