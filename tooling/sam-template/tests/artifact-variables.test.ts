import { describe, expect, it } from 'vitest';
import { artifactOnlyVariables, withoutArtifactOnlyVariables } from '../src/artifact-variables.ts';
import { readTemplate } from '../src/read-template.ts';

describe('artifact-only variables', () => {
  it('leaves out the compile cache the artifact carries, and keeps every other variable', () => {
    const variables = {
      NODE_OPTIONS: '--enable-source-maps',
      NODE_COMPILE_CACHE: '/var/task/.node-compile-cache',
      NODE_COMPILE_CACHE_PORTABLE: '1',
      USERS_TABLE_NAME: 'users',
    };

    expect(withoutArtifactOnlyVariables(variables)).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      USERS_TABLE_NAME: 'users',
    });
  });

  it('names every variable of template.yaml whose value is a path in the artifact (/var/task)', () => {
    const template = readTemplate();
    const environments = [
      template.Globals?.Function?.Environment,
      ...Object.values(template.Resources).map((resource) => resource.Properties?.Environment),
    ] as ({ Variables?: Record<string, unknown> } | undefined)[];

    const inArtifact = environments.flatMap((environment) =>
      Object.entries(environment?.Variables ?? {}).flatMap(([name, value]) =>
        typeof value === 'string' && value.startsWith('/var/task') ? [name] : [],
      ),
    );

    expect(inArtifact.length).toBeGreaterThan(0);
    expect(inArtifact.filter((name) => !artifactOnlyVariables.has(name))).toEqual([]);
  });
});
