import sharp from 'sharp';

/**
 * A photo-like JPEG (gaussian noise, so encoders have detail to spend quality on) of the given size,
 * tagged with an EXIF orientation, a copyright and GPS data — everything outputs must not carry.
 */
export async function photo(width: number, height: number, { orientation = 1 } = {}): Promise<Buffer> {
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: 'grey',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .png()
    .toBuffer();
  return sharp(noise)
    .jpeg({ quality: 90 })
    .withMetadata({ orientation })
    .withExifMerge({ IFD0: { Copyright: 'test' }, IFD3: { GPSLatitudeRef: 'N' } })
    .toBuffer();
}
