import { describe, expect, it } from 'vitest';
import semver from '../src/xray-semver.cjs';

describe('xray-semver', () => {
  it('throws on use, saying that only AWS SDK v3 clients can be traced', () => {
    expect(() => semver.gte()).toThrow(/AWS SDK v2 clients cannot be traced \(use v3 clients\)/);
  });
});
