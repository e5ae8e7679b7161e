import { describe, expect, it } from 'vitest';
import { PermanentError, rejectedBy, skipReasonOf } from '../src/outcome.ts';

describe('skipReasonOf', () => {
  const prefixes = { inputPrefix: 'uploads/', outputPrefix: 'processed/' };

  it.each([
    ['uploads/cat.jpg', prefixes, undefined],
    ['uploads/2026/cat.jpg', prefixes, undefined],
    ['other/cat.jpg', prefixes, 'outside-input-prefix'],
    ['processed/small/cat.jpg', prefixes, 'outside-input-prefix'],
    ['processed/small/cat.jpg', { inputPrefix: '', outputPrefix: 'processed/' }, 'outside-input-prefix'],
    ['uploads/2026/', prefixes, 'folder-marker'],
    ['uploads/', { inputPrefix: 'uploads/' }, 'folder-marker'],
  ])('%s with %o → %s', (key, rules, reason) => {
    expect(skipReasonOf(key, rules)?.reason).toBe(reason);
  });
});

describe('rejectedBy', () => {
  it('is the rejected outcome of a permanent error: its reason and message', () => {
    expect(rejectedBy(new PermanentError('corrupt', 'bad bytes'))).toEqual({
      status: 'rejected',
      reason: 'corrupt',
      message: 'bad bytes',
    });
  });
});
