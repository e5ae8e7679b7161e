import { describe, expect, it } from 'vitest';
import { checkResponse } from '../bench/check-response.mjs';

describe('checkResponse', () => {
  it('accepts the answer each function gives on its bench path', () => {
    expect(checkResponse({ statusCode: 404, body: '{"error":"UserNotFound"}' }, 'users-api')).toBeUndefined();
    expect(checkResponse({ statusCode: 400, body: '{}' }, 'uploads-api')).toBeUndefined();
    const skipped = [{ status: 'skipped', reason: 'outside-input-prefix' }];
    expect(checkResponse(skipped, 'upload-processor')).toBeUndefined();
    expect(checkResponse(skipped, 'image-resizer')).toBeUndefined();
    expect(checkResponse({ batchItemFailures: [{ itemIdentifier: 'm1' }] }, 'batch-worker')).toBeUndefined();
    expect(checkResponse({ statusCode: 200, body: '{}' }, 'empty')).toBeUndefined();
  });

  it('refuses an answer from another path, naming the function', () => {
    expect(checkResponse({ statusCode: 500, body: '{}' }, 'users-api')).toMatch(
      /^users-api: unexpected answer/,
    );
    expect(checkResponse([{ status: 'recorded' }], 'upload-processor')).toMatch(/unexpected answer/);
    expect(checkResponse({ batchItemFailures: [] }, 'batch-worker')).toMatch(/unexpected answer/);
    expect(checkResponse({}, 'no-such-app')).toBe('no expected answer for no-such-app');
  });
});
