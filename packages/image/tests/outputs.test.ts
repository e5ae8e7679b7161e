import { describe, expect, it } from 'vitest';
import { defaultSizes, outputKeyOf } from '../src/outputs.ts';

describe('outputKeyOf', () => {
  const prefixes = { inputPrefix: 'uploads/', outputPrefix: 'processed/' };

  it('puts each size under its own prefix, keeping the key below the input prefix, subfolders and all', () => {
    expect(defaultSizes.map(({ name }) => outputKeyOf(prefixes, 'uploads/owner-1/photo', name))).toEqual([
      'processed/thumbnail/owner-1/photo',
      'processed/small/owner-1/photo',
      'processed/medium/owner-1/photo',
      'processed/large/owner-1/photo',
    ]);
  });

  it('keeps the name as it is, so that a.png and a.jpg never share an output', () => {
    expect(outputKeyOf(prefixes, 'uploads/a.png', 'small')).not.toBe(
      outputKeyOf(prefixes, 'uploads/a.jpg', 'small'),
    );
  });
});
