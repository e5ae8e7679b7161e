import { describe, expect, it } from 'vitest';
import { intrinsic, isRecord, referencedIds } from '../src/template-values.ts';

describe('referencedIds', () => {
  it.each([
    ['a Ref to a resource', { Ref: 'UsersTable' }, ['UsersTable']],
    ['a Ref to a parameter', { Ref: 'Stage' }, ['Stage']],
    ['no pseudo parameter from a Ref', { Ref: 'AWS::Region' }, []],
    ['no AWS::NoValue', { Ref: 'AWS::NoValue' }, []],
    ['the resource of a GetAtt list', { 'Fn::GetAtt': ['UsersTable', 'Arn'] }, ['UsersTable']],
    ['the resource of a dotted GetAtt', { 'Fn::GetAtt': 'UsersTable.StreamArn' }, ['UsersTable']],
    ['a Sub reference', { 'Fn::Sub': '${Foo}' }, ['Foo']],
    ['the resource of a Sub attribute', { 'Fn::Sub': '${Foo.Arn}' }, ['Foo']],
    ['no Sub escape', { 'Fn::Sub': '${!Literal}-${Foo}' }, ['Foo']],
    ['no pseudo parameter from a Sub', { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/*' }, ['Bucket']],
    [
      'what a Sub variable refers to, not the variable',
      { 'Fn::Sub': ['${Name}-${Stage}', { Name: { Ref: 'Table' } }] },
      ['Stage', 'Table'],
    ],
    [
      'no Sub variable that shares its name with a resource',
      { 'Fn::Sub': ['${Queue}', { Queue: 'literal' }] },
      [],
    ],
    [
      'the branches of an If, not its condition',
      { 'Fn::If': ['IsProd', { Ref: 'Alarm' }, { Ref: 'AWS::NoValue' }] },
      ['Alarm'],
    ],
    [
      'references inside a Join',
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':', { Ref: 'Queue' }]] },
      ['Queue'],
    ],
    [
      'references however deep in properties',
      {
        Environment: { Variables: { TABLE: { Ref: 'Users' }, TOPICS: [{ 'Fn::GetAtt': ['Topic', 'Arn'] }] } },
      },
      ['Users', 'Topic'],
    ],
    ['nothing from a map that only has a Ref key among others', { Ref: 'Users', Other: 1 }, []],
    ['nothing from a plain string', 'UsersTable', []],
  ])('finds %s', (_, value, expected) => {
    expect([...referencedIds(value)]).toEqual(expected);
  });
});

describe('intrinsic', () => {
  it('names a one-key Ref or Fn:: map with its argument, and nothing else', () => {
    expect(intrinsic({ 'Fn::If': ['IsProd', 1, 2] })).toEqual(['Fn::If', ['IsProd', 1, 2]]);
    expect(intrinsic({ Ref: 'Stage' })).toEqual(['Ref', 'Stage']);
    expect(intrinsic({ Ref: 'Stage', Other: 1 })).toBeUndefined();
    expect(intrinsic({ Condition: 'IsProd' })).toBeUndefined();
    expect(intrinsic(['Ref'])).toBeUndefined();
  });
});

describe('isRecord', () => {
  it('holds for plain objects only', () => {
    expect([{}, { a: 1 }].map(isRecord)).toEqual([true, true]);
    expect([null, undefined, [], 'text', 1].map(isRecord)).toEqual([false, false, false, false, false]);
  });
});
