// The same generator as apps/image-resizer/tests/images.ts (apps do not import each other).
import sharp from 'sharp';

/** A photo-like JPEG (noise over a gradient) of the given size, tagged with an EXIF orientation and GPS. */
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
