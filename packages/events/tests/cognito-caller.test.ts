import { cognitoClaims, restApiEvent } from '@repo/testing/api-gateway-event';
import { describe, expect, it } from 'vitest';
import { callerOf, UnauthenticatedError } from '../src/cognito-caller.ts';

const sub = '3f1b6c1e-8d2a-4c57-9a3e-2b7f0d9c4e11';

const withClaims = (claims: Record<string, unknown> | null) => {
  const event = restApiEvent({ method: 'GET', path: '/users' });
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
    const claims = { ...cognitoClaims({ sub }), 'cognito:groups': groups };

    expect(callerOf(withClaims(claims), 'admins')).toEqual({ id: sub, admin });
  });

  it('throws UnauthenticatedError without claims or without a sub', () => {
    expect(() => callerOf(withClaims(null), 'admins')).toThrow(UnauthenticatedError);
    expect(() => callerOf(withClaims({ email: 'ada@example.com' }), 'admins')).toThrow(UnauthenticatedError);
    expect(() => callerOf(withClaims({ sub: '' }), 'admins')).toThrow(UnauthenticatedError);
  });
});
