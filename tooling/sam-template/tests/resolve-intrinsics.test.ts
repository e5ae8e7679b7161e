import { describe, expect, it } from 'vitest';
import { evaluateConditions, type LocalStack, resolveIntrinsics } from '../src/resolve-intrinsics.ts';

const base = {
  region: 'us-east-1',
  accountId: '000000000000',
  stackName: 'local',
  parameters: { Stage: 'dev', Origin: '*' },
  physicalIds: { UsersTable: 'UsersTable-1a2b3c4d' },
};
const stack: LocalStack = { ...base, conditions: { IsProd: false } };

describe('resolveIntrinsics', () => {
  it('resolves Ref to parameters, pseudo parameters and local resources', () => {
    expect(resolveIntrinsics({ Ref: 'Stage' }, stack)).toBe('dev');
    expect(resolveIntrinsics({ Ref: 'AWS::Region' }, stack)).toBe('us-east-1');
    expect(resolveIntrinsics({ Ref: 'UsersTable' }, stack)).toBe('UsersTable-1a2b3c4d');
  });

  it('resolves Fn::GetAtt Arn and Fn::Sub with references and attributes', () => {
    expect(resolveIntrinsics({ 'Fn::GetAtt': ['UsersTable', 'Arn'] }, stack)).toBe(
      'arn:aws:local:us-east-1:000000000000:UsersTable/UsersTable-1a2b3c4d',
    );
    expect(
      resolveIntrinsics({ 'Fn::Sub': '/aws/lambda/${AWS::StackName}/${Stage}/${UsersTable}' }, stack),
    ).toBe('/aws/lambda/local/dev/UsersTable-1a2b3c4d');
    expect(resolveIntrinsics({ 'Fn::Sub': ['${A}-${Stage}', { A: { Ref: 'Origin' } }] }, stack)).toBe(
      '*-dev',
    );
  });

  it('resolves Fn::If from evaluated conditions, inside nested structures', () => {
    const value = {
      Variables: { LEVEL: { 'Fn::If': ['IsProd', 'INFO', 'DEBUG'] }, LIST: [{ Ref: 'Stage' }] },
    };

    expect(resolveIntrinsics(value, stack)).toEqual({ Variables: { LEVEL: 'DEBUG', LIST: ['dev'] } });
  });

  it('names what it cannot resolve instead of guessing', () => {
    expect(() => resolveIntrinsics({ Ref: 'Missing' }, stack)).toThrow('!Ref Missing');
    expect(() => resolveIntrinsics({ 'Fn::ImportValue': 'x' }, stack)).toThrow(
      'Fn::ImportValue is not supported',
    );
    expect(() => resolveIntrinsics({ 'Fn::If': ['Nope', 1, 2] }, stack)).toThrow('Unknown condition Nope');
  });
});

describe('evaluateConditions', () => {
  it('evaluates Equals, Not, And, Or and conditions that refer to other conditions', () => {
    const conditions = {
      IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
      IsDev: { 'Fn::Not': [{ Condition: 'IsProd' }] },
      OpenCors: { 'Fn::And': [{ Condition: 'IsDev' }, { 'Fn::Equals': [{ Ref: 'Origin' }, '*'] }] },
      Either: { 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'OpenCors' }] },
    };

    expect(evaluateConditions(conditions, base)).toEqual({
      IsProd: false,
      IsDev: true,
      OpenCors: true,
      Either: true,
    });
  });

  it('rejects a condition that refers to itself', () => {
    expect(() => evaluateConditions({ Loop: { 'Fn::Not': [{ Condition: 'Loop' }] } }, base)).toThrow(
      'refers to itself',
    );
  });
});
