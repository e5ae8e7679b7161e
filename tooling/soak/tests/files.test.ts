import { photo } from '@repo/testing/photos';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { expectedOutputs, padJpeg } from '../src/files.ts';

describe('padJpeg', () => {
  it.each([4, 5, 7, 65_537, 65_538, 65_540, 65_541, 200_000])(
    'grows a JPEG by %i bytes to exactly that length, and it still decodes to the same image',
    async (extra) => {
      // Arrange
      const jpeg = await photo(64, 48);

      // Act
      const padded = padJpeg(jpeg, jpeg.length + extra);

      // Assert
      expect(padded.length).toBe(jpeg.length + extra);
      const [before, after] = await Promise.all([
        sharp(jpeg).raw().toBuffer(),
        sharp(padded, { failOn: 'warning' }).raw().toBuffer(),
      ]);
      expect(after.equals(before)).toBe(true);
    },
  );

  it('refuses a growth no comment segment can make (1 to 3 bytes)', async () => {
    const jpeg = await photo(16, 16);
    expect(() => padJpeg(jpeg, jpeg.length + 3)).toThrow(/cannot pad/);
  });

  it('returns the JPEG itself when it already has the length', async () => {
    const jpeg = await photo(16, 16);
    expect(padJpeg(jpeg, jpeg.length)).toBe(jpeg);
  });
});

describe('expectedOutputs', () => {
  it('fits each size’s box, keeps the aspect and never upscales', () => {
    expect(expectedOutputs(1)).toEqual({
      thumbnail: { width: 150, height: 100 },
      small: { width: 300, height: 200 },
      medium: { width: 600, height: 400 },
      large: { width: 900, height: 600 },
    });
  });

  it('turns the dimensions of a photo whose EXIF orientation rotates it', () => {
    expect(expectedOutputs(3).large).toEqual({ width: 600, height: 900 });
  });
});
