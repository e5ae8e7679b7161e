// @ts-check
// Stands in for @aws-sdk/credential-provider-node inside Lambda bundles (see bundle-lambda.mjs).
// Lambda always hands a function its role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
// and AWS_SESSION_TOKEN, so the rest of the default chain (profiles, SSO, web identity, IMDS, with the
// STS/SSO clients they load) is about 100 KB of minified code that never runs there.
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** Same signature as the SDK's default provider; resolves credentials from the environment only. */
export const defaultProvider = (/** @type {Parameters<typeof fromEnv>[0]} */ init) => fromEnv(init);
