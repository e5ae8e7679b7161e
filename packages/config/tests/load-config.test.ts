import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { awsClientSettings, integer, logLevel, requiredString } from '../src/env.ts';
import { ConfigError, loadConfig } from '../src/load-config.ts';

const schema = z.object({
  TABLE_NAME: requiredString(),
  API_SECRET: requiredString().check(z.regex(/^sk_[a-z]+$/)),
  PAGE_SIZE: integer({ min: 1, max: 100, default: 25 }),
  POWERTOOLS_LOG_LEVEL: logLevel(),
  ...awsClientSettings,
});

describe('loadConfig', () => {
  it('returns a frozen, typed object with defaults applied', () => {
    const config = loadConfig(schema, { TABLE_NAME: 'users', API_SECRET: 'sk_abc' });

    expect(config).toEqual({
      TABLE_NAME: 'users',
      API_SECRET: 'sk_abc',
      PAGE_SIZE: 25,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      AWS_MAX_ATTEMPTS: 3,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('coerces numeric variables from their string form', () => {
    const config = loadConfig(schema, {
      TABLE_NAME: 't',
      API_SECRET: 'sk_a',
      PAGE_SIZE: '7',
      AWS_MAX_ATTEMPTS: '5',
    });

    expect(config.PAGE_SIZE).toBe(7);
    expect(config.AWS_MAX_ATTEMPTS).toBe(5);
  });

  it('names every missing and invalid variable in one error', () => {
    const load = () =>
      loadConfig(schema, { TABLE_NAME: '', PAGE_SIZE: 'many', POWERTOOLS_LOG_LEVEL: 'LOUD' });

    expect(load).toThrow(ConfigError);
    const error = captureError(load);
    expect(error.problems).toEqual([
      'TABLE_NAME is missing',
      'API_SECRET is missing',
      expect.stringMatching(/^PAGE_SIZE is invalid \(/),
      expect.stringMatching(/^POWERTOOLS_LOG_LEVEL is invalid \(/),
    ]);
    expect(error.message).toMatch(
      /^Invalid environment: TABLE_NAME is missing; API_SECRET is missing; PAGE_SIZE/,
    );
  });

  it('never prints the value of an invalid variable', () => {
    const secret = 'hunter2-do-not-log';

    const error = captureError(() =>
      loadConfig(schema, { TABLE_NAME: 't', API_SECRET: secret, PAGE_SIZE: secret }),
    );

    expect(error.problems).toHaveLength(2);
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
  });

  it('rejects integers outside their bounds', () => {
    const error = captureError(() =>
      loadConfig(schema, { TABLE_NAME: 't', API_SECRET: 'sk_a', PAGE_SIZE: '101' }),
    );

    expect(error.problems).toEqual([expect.stringMatching(/^PAGE_SIZE is invalid/)]);
  });
});

function captureError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
