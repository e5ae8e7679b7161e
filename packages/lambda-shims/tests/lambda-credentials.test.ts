import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../src/lambda-credentials.mjs';

afterEach(() => {
  vi.unstubAllEnvs();
});

/** The environment as Lambda sets it for a function's role, and nothing else the SDK's fromEnv reads. */
function stubLambdaEnvironment(variables: Record<string, string | undefined>) {
  for (const name of ['AWS_CREDENTIAL_EXPIRATION', 'AWS_CREDENTIAL_SCOPE', 'AWS_ACCOUNT_ID'])
    vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
}

describe('defaultProvider (lambda-credentials)', () => {
  it("resolves the role's credentials that Lambda puts in the environment", async () => {
    // Prepare
    stubLambdaEnvironment({
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });

    // Act
    const credentials = await defaultProvider()();

    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  it('rejects when the environment holds no credentials, trying no other source', async () => {
    stubLambdaEnvironment({
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: 'would-be-used-by-the-full-chain',
    });

    await expect(defaultProvider()()).rejects.toThrow(/environment/i);
  });
});
