import { cognitoClaims } from '@repo/testing/api-gateway-event';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { asSeenBy, callerOf, mayManage, UnauthenticatedError } from '../../src/access.ts';
import { sampleEvent, sampleUserId, storedUser } from './events.ts';

const withClaims = (claims: Record<string, unknown> | null): APIGatewayProxyEvent => {
  const event = sampleEvent('get-user');
  event.requestContext.authorizer = claims === null ? null : { claims };
  return event;
};

describe('callerOf', () => {
  it.each([
    ['one group, as API Gateway passes it', 'admins', true],
    ['several, in brackets', '[editors, admins]', true],
    ['several, without brackets or spaces', 'editors,admins', true],
    ['a list (sam local invoke events)', ['admins'], true],
    ['a group whose name only starts like it', 'administrators', false],
    ['other groups', '[editors]', false],
    ['none', undefined, false],
  ])('reads the admin group from %s', (_, groups, admin) => {
    const claims = { ...cognitoClaims({ sub: sampleUserId }), 'cognito:groups': groups };

    expect(callerOf(withClaims(claims), 'admins')).toEqual({ id: sampleUserId, admin });
  });

  it('throws UnauthenticatedError without claims or without a sub', () => {
    expect(() => callerOf(withClaims(null), 'admins')).toThrow(UnauthenticatedError);
    expect(() => callerOf(withClaims({ email: 'ada@example.com' }), 'admins')).toThrow(UnauthenticatedError);
    expect(() => callerOf(withClaims({ sub: '' }), 'admins')).toThrow(UnauthenticatedError);
  });
});

describe('mayManage and asSeenBy', () => {
  const self = { id: sampleUserId, admin: false };
  const other = { id: '9d4e2a7b-5c1f-4b8e-a6d3-7f0e1c2b3a45', admin: false };
  const admin = { ...other, admin: true };

  it('lets the owner and admins manage a record, nobody else', () => {
    expect([self, other, admin].map((caller) => mayManage(caller, sampleUserId))).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('shows a record whole to its owner and to admins, and only id and name to anybody else', () => {
    expect(asSeenBy(self, storedUser)).toEqual(storedUser);
    expect(asSeenBy(admin, storedUser)).toEqual(storedUser);
    expect(asSeenBy(other, storedUser)).toEqual({ id: sampleUserId, name: 'Ada Lovelace' });
  });
});
