import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandsFrom } from '../src/sdk-commands.ts';
import { type AppAnalysis, analyseSources, packageOfPath } from '../src/source-analysis.ts';

const root = findWorkspaceRoot();
const fixture = join(import.meta.dirname, 'fixtures', 'sdk-usage');
const shown = (file: string) => `tooling/contract/tests/fixtures/sdk-usage/${file}`;
const fixtureLines = readFileSync(join(fixture, 'handler.ts'), 'utf8').split('\n');
/** The 1-based line of the fixture's handler.ts holding `text`. */
const lineOf = (text: string) => fixtureLines.findIndex((line) => line.includes(text)) + 1;

let analysis: AppAnalysis;

beforeAll(() => {
  const entry = join(fixture, 'handler.ts');
  const result = analyseSources(
    [{ appDir: fixture, entry, files: [entry, join(fixture, 'commands.ts')] }],
    root,
  );
  analysis = result.get(fixture) as AppAnalysis;
});

describe('analyseSources', () => {
  it('resolves every SDK construction to the package that declares it, through renames, namespaces and re-exports', () => {
    // Act
    const found = analysis.constructions.map(({ how, packageName, name }) => `${how} ${packageName} ${name}`);

    // Assess
    expect(found).toEqual([
      'new @aws-sdk/client-s3 S3Client',
      'new @aws-sdk/lib-dynamodb DynamoDBDocumentClient',
      'new @aws-sdk/client-dynamodb DynamoDBClient',
      'new @aws-sdk/lib-dynamodb DynamoDBDocument',
      'new @aws-sdk/client-dynamodb DynamoDBClient',
      'new @aws-sdk/client-s3 HeadObjectCommand',
      'new @aws-sdk/client-s3 GetObjectCommand',
      'new @aws-sdk/client-s3 PutObjectCommand',
      'call @aws-sdk/client-s3 paginateListObjectsV2',
      'call @aws-sdk/client-s3 waitUntilObjectExists',
      'new @aws-sdk/lib-dynamodb TransactWriteCommand',
    ]);
  });

  it('records the input keys of literal inputs, and marks spread or non-literal inputs', () => {
    // Act
    const byName = Object.fromEntries(
      analysis.constructions.map((construction) => [construction.name, construction]),
    );

    // Assess
    expect(byName.HeadObjectCommand).toMatchObject({
      input: { keys: ['Bucket', 'Key'], complete: true },
      line: lineOf('new s3.HeadObjectCommand'),
    });
    expect(byName.GetObjectCommand?.input).toBeUndefined();
    expect(byName.PutObjectCommand?.input).toEqual({ keys: ['Bucket', 'Key'], complete: false });
    expect(byName.paginateListObjectsV2?.input).toEqual({ keys: ['Bucket'], complete: true });
    expect(byName.TransactWriteCommand?.transactItems).toEqual({
      kinds: ['Put', 'ConditionCheck'],
      complete: true,
    });
    expect(byName.HeadObjectCommand?.file).toBe(shown('handler.ts'));
  });

  it('reads the imports the handler module uses and the routes it gives @middy/http-router', () => {
    // Assess
    expect(analysis.handler.entry).toBe(shown('handler.ts'));
    expect(analysis.handler.uses).toEqual(
      expect.arrayContaining([
        'aws-lambda#SQSEvent',
        'aws-lambda#SQSBatchResponse',
        'aws-lambda#SNSEvent',
        '@middy/http-router#default',
      ]),
    );
    expect(analysis.handler.routes).toEqual([
      { method: 'GET', path: '/things' },
      { method: 'DELETE', path: '/things/{id}' },
    ]);
  });
});

describe('commandsFrom', () => {
  it('keeps commands and paginators, skips clients, and reports what it cannot derive', () => {
    // Act
    const { uses, problems } = commandsFrom(analysis.constructions);

    // Assess
    expect(uses.map((use) => use.command.name)).toEqual([
      'HeadObjectCommand',
      'GetObjectCommand',
      'PutObjectCommand',
      'ListObjectsV2Command',
      'TransactWriteCommand',
    ]);
    expect(problems).toEqual([
      expect.stringContaining(
        `constructs DynamoDBDocument from @aws-sdk/lib-dynamodb (${shown('handler.ts')}:${lineOf('DynamoDBDocument.from')})`,
      ),
      expect.stringMatching(/^calls the waiter waitUntilObjectExists/),
    ]);
  });
});

describe('packageOfPath', () => {
  it.each([
    ['/r/node_modules/.pnpm/x@1/node_modules/@aws-sdk/client-s3/dist-types/index.d.ts', '@aws-sdk/client-s3'],
    ['/r/node_modules/zod/index.d.ts', 'zod'],
    ['/r/packages/aws/src/s3.ts', undefined],
  ])('%s → %s', (path, expected) => {
    expect(packageOfPath(path)).toBe(expected);
  });
});
