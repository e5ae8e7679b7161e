// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation's Fn::Sub syntax.
import { describe, expect, it } from 'vitest';
import type { CfnTemplate } from '../src/cloudformation.ts';
import {
  actionMatches,
  evaluateAction,
  type RolePermissions,
  resourceCoverage,
  rolePermissions,
} from '../src/policies.ts';

/** A transformed template with one function whose role has these policies and managed policy ARNs. */
function templateWith(
  policies: unknown[],
  managed: unknown[] = [],
  extra: CfnTemplate['Resources'] = {},
): CfnTemplate {
  return {
    Resources: {
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] } } },
      FnRole: { Type: 'AWS::IAM::Role', Properties: { Policies: policies, ManagedPolicyArns: managed } },
      Table: { Type: 'AWS::DynamoDB::Table' },
      Other: { Type: 'AWS::DynamoDB::Table' },
      ...extra,
    },
  };
}

const inline = (...statements: unknown[]) => ({
  PolicyName: 'FnRolePolicy0',
  PolicyDocument: { Statement: statements },
});

function permissionsOf(template: CfnTemplate): RolePermissions {
  const permissions = rolePermissions(template, 'Fn');
  if ('problem' in permissions) throw new Error(permissions.problem);
  return permissions;
}

describe('actionMatches', () => {
  it.each([
    ['s3:GetObject', 's3:GetObject', true],
    ['s3:getobject', 's3:GetObject', true],
    ['s3:*', 's3:PutObject', true],
    ['*', 'sns:Publish', true],
    ['s3:Get*', 's3:GetObjectVersion', true],
    ['s3:Get*', 's3:PutObject', false],
    ['dynamodb:?etItem', 'dynamodb:GetItem', true],
    ['s3:GetObject', 's3:GetObjectVersion', false],
    ['sns:*', 'sqs:SendMessage', false],
  ])('%s matches %s: %s', (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });
});

describe('evaluateAction', () => {
  it('allows an action named in an Allow statement, as a string or in a list', () => {
    // Prepare
    const permissions = permissionsOf(
      templateWith([
        inline(
          { Effect: 'Allow', Action: 'sns:Publish', Resource: '*' },
          { Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' },
        ),
      ]),
    );

    // Act & Assess
    expect(evaluateAction('sns:Publish', permissions).allowed).toBe(true);
    expect(evaluateAction('s3:GetObject', permissions).allowed).toBe(true);
    expect(evaluateAction('s3:PutObject', permissions).allowed).toBe(false);
  });

  it('allows what a known AWS managed policy documents, and nothing more', () => {
    // Prepare
    const permissions = permissionsOf(
      templateWith(
        [],
        [
          'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole',
          { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AmazonS3ReadOnlyAccess' },
        ],
      ),
    );

    // Act & Assess
    expect(evaluateAction('sqs:ReceiveMessage', permissions)).toMatchObject({
      allowed: true,
      managed: ['AWSLambdaSQSQueueExecutionRole'],
    });
    expect(evaluateAction('s3:GetObjectVersion', permissions).allowed).toBe(true);
    expect(evaluateAction('sqs:SendMessage', permissions).allowed).toBe(false);
  });

  it('notes an unknown managed policy instead of counting it', () => {
    // Act
    const permissions = permissionsOf(templateWith([], ['arn:aws:iam::123456789012:policy/team-policy']));

    // Assess
    expect(permissions.notes).toEqual([expect.stringContaining('team-policy is not one the check knows')]);
    expect(evaluateAction('sns:Publish', permissions).allowed).toBe(false);
  });

  it('does not count statements under Fn::If or Allow with NotAction, and says why', () => {
    // Prepare
    const permissions = permissionsOf(
      templateWith([
        {
          'Fn::If': [
            'IsProd',
            inline({ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }),
            { Ref: 'AWS::NoValue' },
          ],
        },
        inline({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
      ]),
    );

    // Act
    const verdict = evaluateAction('sns:Publish', permissions);

    // Assess
    expect(verdict.allowed).toBe(false);
    expect(verdict.warnings).toEqual([
      expect.stringContaining('only under an Fn::If'),
      expect.stringContaining('only through NotAction'),
    ]);
  });

  it('lets an unconditional Deny on * override an Allow, and only warns of a narrower Deny', () => {
    // Prepare
    const allow = { Effect: 'Allow', Action: 's3:*', Resource: '*' };
    const total = permissionsOf(
      templateWith([inline(allow, { Effect: 'Deny', Action: 's3:PutObject', Resource: '*' })]),
    );
    const narrow = permissionsOf(
      templateWith([inline(allow, { Effect: 'Deny', Action: 's3:Put*', Resource: 'arn:aws:s3:::logs/*' })]),
    );

    // Act & Assess
    expect(evaluateAction('s3:PutObject', total)).toMatchObject({
      allowed: false,
      deniedBy: 'FnRolePolicy0',
    });
    expect(evaluateAction('s3:PutObject', narrow)).toMatchObject({
      allowed: true,
      warnings: [expect.stringContaining('may deny')],
    });
  });

  it('takes in AWS::IAM::Policy resources attached to the role', () => {
    // Prepare
    const template = templateWith([], [], {
      Extra: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'FnRole' }],
          PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] },
        },
      },
    });

    // Act & Assess
    expect(evaluateAction('sqs:SendMessage', permissionsOf(template)).allowed).toBe(true);
  });

  it('reports a role that is not in the template', () => {
    const template: CfnTemplate = {
      Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: 'arn:aws:iam::1:role/x' } } },
    };
    expect(rolePermissions(template, 'Fn')).toEqual({
      problem: expect.stringContaining('not an AWS::IAM::Role'),
    });
  });
});

describe('resourceCoverage', () => {
  const statement = (resources: unknown[]) => ({
    effect: 'Allow' as const,
    actions: ['dynamodb:PutItem'],
    resources,
    notResource: false,
    hasCondition: false,
    conditional: false,
    source: 'p',
  });
  const template = templateWith([]);

  it.each([
    [[{ 'Fn::GetAtt': ['Table', 'Arn'] }], 'covers'],
    [['*'], 'covers'],
    [
      [
        {
          'Fn::Sub': [
            'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${name}',
            { name: { Ref: 'Table' } },
          ],
        },
      ],
      'covers',
    ],
    [[{ 'Fn::GetAtt': ['Other', 'Arn'] }], 'misses'],
    [['arn:aws:dynamodb:eu-west-1:1:table/users'], 'unknown'],
  ])('statement resources %j → %s for Table', (resources, expected) => {
    expect(resourceCoverage([statement(resources)], false, 'Table', template)).toBe(expected);
  });
});
