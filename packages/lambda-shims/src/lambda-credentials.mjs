// @ts-check
// Stands in for @aws-sdk/credential-provider-node inside Lambda bundles: credentials from the environment
// only (why: README.md).
import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Same signature as the SDK's default provider; resolves credentials from the environment only.
 * @param {Parameters<typeof fromEnv>[0]} [init]
 */
export const defaultProvider = (init) => fromEnv(init);
