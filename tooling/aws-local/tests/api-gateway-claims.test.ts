import { describe, expect, it } from 'vitest';
import { asApiGatewayPasses } from '../src/api-gateway-claims.ts';

describe('asApiGatewayPasses', () => {
  it('renders every claim as a string: lists in brackets, exp and iat as Java dates in UTC', () => {
    // Prepare: 2026-03-05T07:08:09Z and an hour later
    const iat = Date.UTC(2026, 2, 5, 7, 8, 9) / 1000;

    // Act
    const claims = asApiGatewayPasses({
      sub: 'u-1',
      'cognito:groups': ['admins', 'editors'],
      email_verified: true,
      auth_time: iat,
      iat,
      exp: iat + 3600,
    });

    // Assess
    expect(claims).toEqual({
      sub: 'u-1',
      'cognito:groups': '[admins, editors]',
      email_verified: 'true',
      auth_time: String(iat),
      iat: 'Thu Mar 05 07:08:09 UTC 2026',
      exp: 'Thu Mar 05 08:08:09 UTC 2026',
    });
  });
});
