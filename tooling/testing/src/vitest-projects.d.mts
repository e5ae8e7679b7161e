import type { TestProjectInlineConfiguration } from 'vitest/config';

/** Every app's two vitest projects: `unit` (AWS mocked) and `integration` (one moto_server for the run). */
export function appTestProjects(options?: {
  unitEnv?: Record<string, string>;
  unitTimeoutMs?: number;
}): TestProjectInlineConfiguration[];
