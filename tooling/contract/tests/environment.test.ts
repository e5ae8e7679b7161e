import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import type { CfnTemplate } from '../src/cloudformation.ts';
import {
  type ConfigSchema,
  checkEnvironment,
  possibleValues,
  requiredVariables,
} from '../src/environment.ts';

const template: CfnTemplate = {
  Parameters: { Empty: { Type: 'String', Default: '' }, Stage: { Type: 'String', Default: 'dev' } },
  Resources: {},
};

// The shapes the apps' config schemas use (see packages/config/src/env.ts), and the other ways of making a
// variable optional.
const keys = {
  string: z.string(),
  checked: z.string().check(z.minLength(1)),
  coerced: z.coerce.number(),
  nullable: z.nullable(z.string()),
  optional: z.optional(z.string()),
  nullish: z.nullish(z.string()),
  defaulted: z._default(z.string(), 'x'),
  prefaulted: z.prefault(z.string(), 'x'),
  caught: z.catch(z.string(), 'x'),
  defaultedPipe: z._default(
    z.pipe(
      z.string(),
      z.transform((value) => value.length),
    ),
    3,
  ),
  pipedDefault: z.pipe(
    z._default(z.string(), 'x'),
    z.transform((value) => value.length),
  ),
};

describe('requiredVariables', () => {
  it('requires exactly the keys without a default that are not optional', () => {
    // Act
    const required = requiredVariables(z.object(keys));

    // Assess
    expect(required).toEqual(['checked', 'coerced', 'nullable', 'string']);
  });

  it("agrees with zod's own marker: _zod.optin is undefined exactly for the required keys", () => {
    // Prepare: zod 4 marks optional/nullish/catch keys 'optional' and _default/prefault keys 'defaulted'
    // (not 'optional'), so `optin === 'optional'` alone would call every defaulted variable required.
    const optin = Object.fromEntries(Object.entries(keys).map(([key, schema]) => [key, schema._zod.optin]));

    // Act
    const required = requiredVariables(z.object(keys));

    // Assess
    expect(optin).toMatchObject({ optional: 'optional', caught: 'optional', defaulted: 'defaulted' });
    expect(
      Object.keys(optin)
        .filter((key) => optin[key] === undefined)
        .sort(),
    ).toEqual(required);
  });

  it('finds the required variables of every app config schema', async () => {
    // Prepare
    const root = findWorkspaceRoot();
    const apps = readdirSync(join(root, 'apps'));
    const schemas = await Promise.all(
      apps.map(async (app) => {
        const module = (await import(pathToFileURL(join(root, 'apps', app, 'src', 'config.ts')).href)) as {
          configSchema: ConfigSchema & { shape: Record<string, { _zod: { optin?: string } }> };
        };
        return [app, module.configSchema] as const;
      }),
    );

    // Act
    const required = Object.fromEntries(schemas.map(([app, schema]) => [app, requiredVariables(schema)]));

    // Assess
    expect(required).toEqual({
      'batch-worker': ['DEFAULT_BUCKET'],
      'image-resizer': [],
      'upload-processor': ['UPLOADS_TABLE_NAME', 'UPLOADS_TOPIC_ARN'],
      'uploads-api': ['UPLOADS_BUCKET_NAME'],
      'users-api': ['USERS_TABLE_NAME'],
    });
    for (const [, schema] of schemas) {
      const byOptin = Object.keys(schema.shape).filter((key) => schema.shape[key]?._zod.optin === undefined);
      expect(byOptin.sort()).toEqual(requiredVariables(schema));
    }
  });
});

describe('possibleValues', () => {
  it('gives each Fn::If branch, parameters at their defaults, AWS::NoValue as unset, Refs as deployed', () => {
    // Act
    const values = possibleValues(
      {
        'Fn::If': [
          'IsProd',
          { Ref: 'Empty' },
          { 'Fn::If': ['IsEu', { Ref: 'AWS::NoValue' }, { Ref: 'Table' }] },
        ],
      },
      template,
    );

    // Assess
    expect(values).toEqual([
      { when: 'when IsProd, Empty at its default', literal: '' },
      { when: 'when not IsProd, when IsEu', unset: true },
      { when: 'when not IsProd, when not IsEu', deployed: '!Ref Table' },
    ]);
  });
});

describe('checkEnvironment', () => {
  const schema = z.object({
    TABLE_NAME: z.string().check(z.minLength(1)),
    AWS_REGION: z.string(),
    MAX_BYTES: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 10),
    PREFIX: z._default(z.string().check(z.regex(/\/$/)), 'uploads/'),
  });

  it('passes when every required variable is set, or set by the Lambda runtime', () => {
    // Act
    const result = checkEnvironment({ schema, variables: { TABLE_NAME: { Ref: 'Table' } }, template });

    // Assess
    expect(result).toEqual({ required: ['AWS_REGION', 'TABLE_NAME'], failures: [] });
  });

  it('names a required variable the template does not set, with how another function sets it', () => {
    // Act
    const { failures } = checkEnvironment({
      schema,
      variables: {},
      template,
      setElsewhere: { TABLE_NAME: '!Ref Table' },
    });

    // Assess
    expect(failures).toEqual([expect.stringContaining('requires TABLE_NAME')]);
    expect(failures[0]).toContain('TABLE_NAME: !Ref Table');
  });

  it('fails a required variable set to an empty value, directly or through a parameter default', () => {
    // Act
    const direct = checkEnvironment({ schema, variables: { TABLE_NAME: '' }, template }).failures;
    const parameter = checkEnvironment({
      schema,
      variables: { TABLE_NAME: { Ref: 'Empty' } },
      template,
    }).failures;
    const unset = checkEnvironment({
      schema,
      variables: { TABLE_NAME: { 'Fn::If': ['IsProd', 'users', { Ref: 'AWS::NoValue' }] } },
      template,
    }).failures;

    // Assess
    expect(direct).toEqual([expect.stringContaining('sets it to an empty value')]);
    expect(parameter).toEqual([expect.stringMatching(/empty value \(Empty at its default\)/)]);
    expect(unset).toEqual([expect.stringMatching(/leaves it unset \(when not IsProd\) with AWS::NoValue/)]);
  });

  it('fails a literal value the schema rejects, even for a variable with a default', () => {
    // Act
    const { failures } = checkEnvironment({
      schema,
      variables: {
        TABLE_NAME: 'users',
        MAX_BYTES: 'lots',
        PREFIX: { 'Fn::If': ['IsProd', 'uploads/', 'uploads'] },
      },
      template,
    });

    // Assess
    expect(failures).toEqual([
      expect.stringContaining('sets MAX_BYTES to "lots"'),
      expect.stringContaining('sets PREFIX to "uploads" (when not IsProd)'),
    ]);
  });

  it('ignores variables the schema does not know', () => {
    expect(
      checkEnvironment({ schema, variables: { TABLE_NAME: 'users', NODE_OPTIONS: '' }, template }).failures,
    ).toEqual([]);
  });
});
