// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation's Fn::Sub syntax.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findWorkspaceRoot,
  parseTemplate,
  readTemplate,
  serverlessFunctions,
  TemplateError,
} from '../src/read-template.ts';

const scratch = mkdtempSync(join(tmpdir(), 'read-template-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('parseTemplate', () => {
  it.each([
    ['!Ref Stage', { Ref: 'Stage' }],
    ['!Condition IsProd', { Condition: 'IsProd' }],
    ['!GetAtt Table.Arn', { 'Fn::GetAtt': ['Table', 'Arn'] }],
    ['!GetAtt Db.Endpoint.Address', { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] }],
    ['!GetAtt [Table, Arn]', { 'Fn::GetAtt': ['Table', 'Arn'] }],
    ['!Sub /aws/${AWS::StackName}', { 'Fn::Sub': '/aws/${AWS::StackName}' }],
    ['!Sub [ "${A}-x", { A: !Ref Stage } ]', { 'Fn::Sub': ['${A}-x', { A: { Ref: 'Stage' } }] }],
    ['!If [IsProd, 1, 2]', { 'Fn::If': ['IsProd', 1, 2] }],
    ['!Equals [!Ref Stage, prod]', { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] }],
    ['!Not [!Condition IsProd]', { 'Fn::Not': [{ Condition: 'IsProd' }] }],
    ['!And [!Condition A, !Condition B]', { 'Fn::And': [{ Condition: 'A' }, { Condition: 'B' }] }],
    ['!Or [!Condition A, !Condition B]', { 'Fn::Or': [{ Condition: 'A' }, { Condition: 'B' }] }],
    ['!Join [",", [a, !Ref B]]', { 'Fn::Join': [',', ['a', { Ref: 'B' }]] }],
    ['!Select [0, !GetAZs ""]', { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }],
    ['!Split [",", a]', { 'Fn::Split': [',', 'a'] }],
    ['!FindInMap [Map, Top, Key]', { 'Fn::FindInMap': ['Map', 'Top', 'Key'] }],
    ['!GetAZs us-east-1', { 'Fn::GetAZs': 'us-east-1' }],
    ['!GetAZs { Ref: AWS::Region }', { 'Fn::GetAZs': { Ref: 'AWS::Region' } }],
    ['!ImportValue shared-vpc', { 'Fn::ImportValue': 'shared-vpc' }],
    ['!ImportValue { "Fn::Sub": "${Stage}-vpc" }', { 'Fn::ImportValue': { 'Fn::Sub': '${Stage}-vpc' } }],
    ['!Base64 hello', { 'Fn::Base64': 'hello' }],
    ['!Base64 { "Fn::Sub": "${A}" }', { 'Fn::Base64': { 'Fn::Sub': '${A}' } }],
    ['!Cidr [10.0.0.0/16, 4, 8]', { 'Fn::Cidr': ['10.0.0.0/16', 4, 8] }],
    [
      '!Transform { Name: AWS::Include, Parameters: { Location: s3://b/k } }',
      {
        'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: 's3://b/k' } },
      },
    ],
  ])('reads %s in its long (JSON) form', (yaml, expected) => {
    const template = parseTemplate(
      `Resources:\n  Thing:\n    Type: Test::Thing\n    Properties:\n      Value: ${yaml}\n`,
    );

    expect(template.Resources.Thing?.Properties?.Value).toEqual(expected);
  });

  it('reads block sequences and anchored values inside intrinsics', () => {
    const text = [
      'Resources:',
      '  Thing:',
      '    Type: Test::Thing',
      '    Properties:',
      '      Name: &name users',
      '      Value: !Join',
      '        - "-"',
      '        - [*name, !Ref Stage]',
    ].join('\n');

    const template = parseTemplate(text);

    expect(template.Resources.Thing?.Properties?.Value).toEqual({
      'Fn::Join': ['-', ['users', { Ref: 'Stage' }]],
    });
  });

  it('keeps the rest of the template as plain data', () => {
    const text =
      'AWSTemplateFormatVersion: 2010-09-09\nResources:\n  T:\n    Type: AWS::SNS::Topic\n    DependsOn: [Q]\n';

    const template = parseTemplate(text);

    expect(template).toEqual({
      AWSTemplateFormatVersion: '2010-09-09',
      Resources: { T: { Type: 'AWS::SNS::Topic', DependsOn: ['Q'] } },
    });
  });

  it.each([
    ['invalid YAML', 'Resources: [', /Cannot parse template\.yaml: .*line 1/],
    ['an unknown tag', 'Resources:\n  A:\n    Type: X\n    P: !Reff B\n', /Unresolved tag: !Reff/],
    [
      '!GetAtt without an attribute',
      'Resources:\n  A:\n    Type: X\n    P: !GetAtt B\n',
      /!GetAtt B is not of the form/,
    ],
    ['a duplicate key', 'Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n', /Map keys must be unique/],
    ['no Resources', 'Parameters: {}\n', /template\.yaml has no Resources/],
    ['empty Resources', 'Resources: {}\n', /template\.yaml has no Resources/],
    ['an empty file', '', /template\.yaml has no Resources/],
    ['a resource without Type', 'Resources:\n  A:\n    Properties: {}\n', /resource A has no Type/],
  ])('throws a TemplateError naming the problem for %s', (_, text, message) => {
    const parse = () => parseTemplate(text, 'template.yaml');

    expect(parse).toThrow(TemplateError);
    expect(parse).toThrow(message);
  });
});

describe('findWorkspaceRoot', () => {
  it('finds the folder holding pnpm-workspace.yaml from a folder below it', () => {
    mkdirSync(join(scratch, 'repo/apps/a/src'), { recursive: true });
    writeFileSync(join(scratch, 'repo/pnpm-workspace.yaml'), 'packages: []\n');

    expect(findWorkspaceRoot(join(scratch, 'repo/apps/a/src'))).toBe(join(scratch, 'repo'));
  });

  it('throws when no folder above holds pnpm-workspace.yaml', () => {
    mkdirSync(join(scratch, 'lonely'), { recursive: true });

    expect(() => findWorkspaceRoot(join(scratch, 'lonely'))).toThrow(/No pnpm-workspace\.yaml/);
  });
});

describe('readTemplate', () => {
  it('reads the file it is given', () => {
    const path = join(scratch, 'given.yaml');
    writeFileSync(path, 'Resources:\n  Q:\n    Type: AWS::SQS::Queue\n');

    expect(readTemplate(path).Resources).toEqual({ Q: { Type: 'AWS::SQS::Queue' } });
  });

  it("reads the workspace root's template.yaml by default", () => {
    const template = readTemplate();

    expect(template.Transform).toBe('AWS::Serverless-2016-10-31');
  });

  it('names the path when the file cannot be read, and names it in parse errors', () => {
    const broken = join(scratch, 'broken.yaml');
    writeFileSync(broken, 'Resources: {}\n');

    expect(() => readTemplate(join(scratch, 'missing.yaml'))).toThrow(
      `Cannot read ${join(scratch, 'missing.yaml')}`,
    );
    expect(() => readTemplate(broken)).toThrow(`${broken} has no Resources`);
  });
});

describe('serverlessFunctions', () => {
  const template = parseTemplate(`
Globals:
  Function:
    Runtime: nodejs22.x
    Timeout: 10
    Layers: [!Ref GlobalLayer]
    Environment:
      Variables:
        LOG_LEVEL: INFO
        SHARED: global
    VpcConfig: { SubnetIds: [a] }
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
  Tuned:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 30
      Layers: [!Ref OwnLayer]
      Environment:
        Variables:
          SHARED: own
          TABLE: !Ref Table
      VpcConfig: !If [IsProd, { SubnetIds: [b] }, !Ref AWS::NoValue]
`);

  it('lists every AWS::Serverless::Function by logical id, and nothing else', () => {
    expect(serverlessFunctions(template).map((fn) => fn.logicalId)).toEqual(['Plain', 'Tuned']);
  });

  it('gives a function without its own settings the global ones', () => {
    const [plain] = serverlessFunctions(template);

    expect(plain?.properties).toEqual({
      Runtime: 'nodejs22.x',
      Timeout: 10,
      Layers: [{ Ref: 'GlobalLayer' }],
      Environment: { Variables: { LOG_LEVEL: 'INFO', SHARED: 'global' } },
      VpcConfig: { SubnetIds: ['a'] },
      Handler: 'index.handler',
    });
  });

  it("merges as SAM does: the function's scalars win, maps merge, lists concatenate, intrinsics replace", () => {
    const [, tuned] = serverlessFunctions(template);

    expect(tuned?.properties).toEqual({
      Runtime: 'nodejs22.x',
      Timeout: 30,
      Layers: [{ Ref: 'GlobalLayer' }, { Ref: 'OwnLayer' }],
      Environment: { Variables: { LOG_LEVEL: 'INFO', SHARED: 'own', TABLE: { Ref: 'Table' } } },
      VpcConfig: { 'Fn::If': ['IsProd', { SubnetIds: ['b'] }, { Ref: 'AWS::NoValue' }] },
    });
  });

  it('returns the Properties unchanged when the template has no Globals', () => {
    const bare = parseTemplate(
      'Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.b }\n',
    );

    expect(serverlessFunctions(bare)).toEqual([{ logicalId: 'F', properties: { Handler: 'a.b' } }]);
  });
});
