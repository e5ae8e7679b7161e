import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localIdToken } from '../src/local-token.ts';
import { type DevProcess, startDev } from './dev-process.ts';
import { payloadOf, signedByMoto } from './forged-token.ts';

// A user pool and an API with its Cognito authorizer: what API Gateway checks before a function runs.
let dev: DevProcess;
let cognito: CognitoIdentityProviderClient;

beforeAll(async () => {
  dev = await startDev(['--template', 'tooling/local/tests/fixtures/auth/template.yaml']);
  cognito = new CognitoIdentityProviderClient({
    endpoint: dev.stack.endpoint,
    region: dev.stack.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  cognito?.destroy();
  await dev?.stop();
});

const whoami = (headers: Record<string, string> = {}, method = 'GET') =>
  fetch(`${dev.stack.apiUrl}/whoami`, { method, headers });
const invocations = () => (dev.output().match(/WhoAmIFunction ←/g) ?? []).length;

describe('pnpm dev enforces the API’s Cognito authorizer', () => {
  it('passes a valid ID token’s claims to the function as API Gateway does (strings, groups in brackets)', async () => {
    const { authorization } = await dev.signIn('ada@example.com', { admin: true });

    const response = await whoami({ authorization });
    const bearer = await whoami({ authorization: `Bearer ${authorization}` });

    expect(response.status).toBe(200);
    expect(bearer.status).toBe(200);
    const { claims } = (await response.json()) as { claims: Record<string, string> };
    expect(claims).toMatchObject({
      sub: payloadOf(authorization).sub,
      email: 'ada@example.com',
      token_use: 'id',
      'cognito:groups': '[admins]',
      exp: expect.stringMatching(/^\w{3} \w{3} \d{2} \d\d:\d\d:\d\d UTC \d{4}$/),
    });
    for (const value of Object.values(claims)) expect(typeof value).toBe('string');
  });

  it('accepts a token signed again with moto’s key and its claims unchanged: the forged cases below fail for their claim alone', async () => {
    const { authorization } = await dev.signIn('control@example.com');

    const response = await whoami({ authorization: signedByMoto(payloadOf(authorization)) });

    expect(response.status).toBe(200);
  });

  it.each([
    ['no token', async () => ({})],
    ['a token that is no JWT', async () => ({ authorization: 'not-a-jwt' })],
    [
      'a bad signature (the payload changed after signing)',
      async () => {
        const { authorization } = await dev.signIn('mallory@example.com');
        const [header, , signature] = authorization.split('.');
        const payload = { ...payloadOf(authorization), 'cognito:groups': ['admins'] };
        return {
          authorization: `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`,
        };
      },
    ],
    [
      'an expired token (correctly signed)',
      async () => {
        const { authorization } = await dev.signIn('late@example.com');
        const past = Math.floor(Date.now() / 1000) - 3_600;
        return {
          authorization: signedByMoto({
            ...payloadOf(authorization),
            iat: past - 3_600,
            auth_time: past - 3_600,
            exp: past,
          }),
        };
      },
    ],
    [
      'a token of another user pool',
      async () => {
        const { UserPool } = await cognito.send(
          new CreateUserPoolCommand({ PoolName: 'elsewhere', UsernameAttributes: ['email'] }),
        );
        const { UserPoolClient } = await cognito.send(
          new CreateUserPoolClientCommand({ UserPoolId: UserPool?.Id, ClientName: 'elsewhere' }),
        );
        const token = await localIdToken(
          {
            ...dev.stack,
            resources: {
              Pool: { type: 'AWS::Cognito::UserPool', ref: UserPool?.Id ?? '', attributes: {} },
              Client: {
                type: 'AWS::Cognito::UserPoolClient',
                ref: UserPoolClient?.ClientId ?? '',
                attributes: {},
              },
            },
          },
          { email: 'stranger@example.com' },
        );
        return { authorization: token };
      },
    ],
    [
      'a token of this pool for a client it does not have',
      async () => {
        const { authorization } = await dev.signIn('borrowed@example.com');
        return {
          authorization: signedByMoto({ ...payloadOf(authorization), aud: 'some-other-client' }),
        };
      },
    ],
    [
      'an access token where an ID token is due',
      async () => {
        const { authorization } = await dev.signIn('access@example.com');
        const { aud, ...payload } = payloadOf(authorization);
        return {
          authorization: signedByMoto({ ...payload, token_use: 'access', client_id: aud }),
        };
      },
    ],
  ])('answers %s with API Gateway’s 401, and the function never runs', async (_, headersFor) => {
    // Prepare
    const headers = (await headersFor()) as Record<string, string>;
    const before = invocations();

    // Act
    const response = await whoami(headers);

    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(invocations()).toBe(before);
  });

  it('lets CORS preflight through unchecked (AddDefaultAuthorizerToCorsPreflight: false), and a route with Authorizer: NONE', async () => {
    const preflight = await whoami({}, 'OPTIONS');
    const open = await fetch(`${dev.stack.apiUrl}/open`);

    expect(preflight.status).toBe(200);
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ claims: null });
  });
});
