import { describe, expect, it } from 'vitest';
import { NoTimeLeftError, timeBudget } from '../src/time-budget.ts';

describe('timeBudget', () => {
  it('lets a step start with exactly the minimum left, and refuses it one millisecond short', () => {
    let left = 3_000;
    const budget = timeBudget({ getRemainingTimeInMillis: () => left }, 3_000);

    expect(() => budget.ensure('download')).not.toThrow();
    left = 2_999;
    expect(() => budget.ensure('download')).toThrow(new NoTimeLeftError('download', 2_999, 3_000));
    expect(() => budget.ensure('upload')).toThrow('Not starting "upload": 2999 ms left, 3000 ms needed');
  });

  it('asks the context each time, as the invocation’s clock runs', () => {
    const asked: number[] = [];
    let left = 10_000;
    const budget = timeBudget(
      {
        getRemainingTimeInMillis: () => {
          asked.push(left);
          left -= 4_000;
          return left + 4_000;
        },
      },
      3_000,
    );

    budget.ensure('download');
    budget.ensure('resize');
    expect(() => budget.ensure('upload')).toThrow(NoTimeLeftError);
    expect(asked).toEqual([10_000, 6_000, 2_000]);
  });
});
