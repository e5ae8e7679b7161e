import { describe, expect, it } from 'vitest';
import { artifactOnlyVariables, localVariables } from '../src/artifact-variables.ts';
import { readTemplate } from '../src/read-template.ts';

describe('artifact-only variables', () => {
  it('gives a function’s variables without the compile cache the artifact carries, every other kept', () => {
    const Variables = {
      NODE_OPTIONS: '--enable-source-maps',
      NODE_COMPILE_CACHE: '/var/task/.node-compile-cache',
      NODE_COMPILE_CACHE_PORTABLE: '1',
      USERS_TABLE_NAME: { Ref: 'UsersTable' },
    };

    expect(localVariables({ Environment: { Variables } })).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      USERS_TABLE_NAME: { Ref: 'UsersTable' },
    });
    expect(localVariables({})).toEqual({});
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
