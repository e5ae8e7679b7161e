import { describe, expect, it } from 'vitest';
import { concurrencyFor } from '../../src/concurrency.ts';

const defaultPixels = 50_000_000;

describe('concurrencyFor', () => {
  it.each([
    [128, 1],
    [1_024, 3],
    [1_769, 7],
    [3_538, 10],
    [10_240, 10],
  ])('runs %i MB with the default 50 MP limit at %i jobs at once', (memoryMb, expected) => {
    // Act
    const concurrency = concurrencyFor({ memoryMb, maxInputPixels: defaultPixels });

    // Assess
    expect(concurrency).toBe(expected);
  });

  it('never goes below one job, even when one image at the limit does not fit', () => {
    // Act
    const concurrency = concurrencyFor({ memoryMb: 256, maxInputPixels: 268_402_689 });

    // Assess
    expect(concurrency).toBe(1);
  });

  it('allows more jobs at once for a smaller pixel limit', () => {
    // Act
    const atDefault = concurrencyFor({ memoryMb: 1_024, maxInputPixels: defaultPixels });
    const at20Mp = concurrencyFor({ memoryMb: 1_024, maxInputPixels: 20_000_000 });

    // Assess: 824 MB / (77 + 32) MB per job.
    expect([atDefault, at20Mp]).toEqual([3, 7]);
  });
});
