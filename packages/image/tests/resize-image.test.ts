import { randomBytes } from 'node:crypto';
import { PermanentError } from '@repo/object-processing/outcome';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CorruptImageError,
  ImageError,
  ImageTooManyPixelsError,
  UnsupportedImageFormatError,
} from '../src/image-errors.ts';
import { defaultSizes, type OutputSize } from '../src/outputs.ts';
import { configureSharp, fitInside, resizeImage, sharpSettingsFor } from '../src/resize-image.ts';
import {
  channelDistance,
  colourName,
  heicHeader,
  jpegClaiming,
  orientedJpeg,
  photoLike,
  pixelAt,
  pngClaiming,
  quadrants,
  solid,
  twoFrames,
} from './make-images.ts';

const dimensionsOf = (outputs: { width: number; height: number }[]) =>
  outputs.map(({ width, height }) => `${width}x${height}`);

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('resizeImage', () => {
  describe('sizes', () => {
    it.each([
      ['landscape', 800, 600, ['150x113', '300x225', '600x450', '800x600']],
      ['portrait', 600, 800, ['113x150', '225x300', '450x600', '600x800']],
      ['square', 700, 700, ['150x150', '300x300', '600x600', '700x700']],
    ])('fits a %s image inside each default box, in order, without upscaling', async (_, w, h, expected) => {
      const input = await solid(w, h).jpeg().toBuffer();

      const outputs = await resizeImage(input);

      expect(outputs.map((o) => o.size)).toEqual(['thumbnail', 'small', 'medium', 'large']);
      expect(dimensionsOf(outputs)).toEqual(expected);
      const decoded = await Promise.all(outputs.map((o) => sharp(o.data).metadata()));
      expect(dimensionsOf(decoded)).toEqual(expected);
    });

    it('keeps the order of the sizes it is given, whichever box is largest', async () => {
      const input = await solid(400, 300).png().toBuffer();
      const sizes: OutputSize[] = [
        { name: 'wide', width: 200, height: 50 },
        { name: 'big', width: 1000, height: 1000 },
        { name: 'box', width: 100, height: 100 },
      ];

      const outputs = await resizeImage(input, { sizes });

      expect(outputs.map((o) => `${o.size}:${o.width}x${o.height}`)).toEqual([
        'wide:67x50',
        'big:400x300',
        'box:100x75',
      ]);
    });

    it('outputs an image smaller than every box at its own size', async () => {
      const input = await solid(100, 80).png().toBuffer();

      const outputs = await resizeImage(input);

      expect(dimensionsOf(outputs)).toEqual(['100x80', '100x80', '100x80', '100x80']);
    });

    it('returns nothing for no sizes', async () => {
      const input = await solid(10, 10).png().toBuffer();

      expect(await resizeImage(input, { sizes: [] })).toEqual([]);
    });
  });

  describe('formats and quality', () => {
    const sizes = [{ name: 'one', width: 200, height: 200 }];

    it.each(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const)('accepts %s input', async (format) => {
      const input = await photoLike(80, 60).toFormat(format).toBuffer();

      const outputs = await resizeImage(input, { sizes });

      expect(outputs).toMatchObject([{ size: 'one', width: 80, height: 60 }]);
    });

    it('encodes JPEG at quality 85 by default', async () => {
      const input = await photoLike(200, 150).png().toBuffer();

      const [byDefault] = await resizeImage(input, { sizes });
      const [at85] = await resizeImage(input, { sizes, quality: 85 });
      const [at80] = await resizeImage(input, { sizes, quality: 80 });
      const [at50] = await resizeImage(input, { sizes, quality: 50 });

      expect(byDefault?.contentType).toBe('image/jpeg');
      expect((await sharp(byDefault?.data).metadata()).format).toBe('jpeg');
      // sharp's own default is 80: the same bytes as 85 and more than 80 pin our default.
      expect(byDefault?.data.equals(at85?.data ?? Buffer.alloc(0))).toBe(true);
      expect(byDefault?.data.length).toBeGreaterThan(at80?.data.length ?? Number.POSITIVE_INFINITY);
      expect(at80?.data.length).toBeGreaterThan(at50?.data.length ?? Number.POSITIVE_INFINITY);
    });

    it.each([
      ['webp', 'image/webp', 'webp'],
      ['avif', 'image/avif', 'heif'],
    ] as const)('encodes %s', async (format, contentType, sharpFormat) => {
      const input = await photoLike(120, 90).png().toBuffer();

      const outputs = await resizeImage(input, { sizes, format });

      expect(outputs).toMatchObject([{ size: 'one', width: 120, height: 90, format, contentType }]);
      const metadata = await sharp(outputs[0]?.data).metadata();
      expect(metadata.format).toBe(sharpFormat);
      expect(metadata.mediaType).toBe(contentType);
    });
  });

  describe('orientation', () => {
    it.each([1, 2, 3, 4, 5, 6, 7, 8] as const)(
      'comes out upright for EXIF orientation %i',
      async (orientation) => {
        const input = await orientedJpeg(await quadrants(60, 40).png().toBuffer(), orientation);

        const [output] = await resizeImage(input, { sizes: [{ name: 'one', width: 200, height: 200 }] });

        expect(output).toMatchObject({ width: 60, height: 40 });
        const data = output?.data ?? Buffer.alloc(0);
        expect(colourName(await pixelAt(data, 5, 5))).toBe('red');
        expect(colourName(await pixelAt(data, 54, 5))).toBe('green');
        expect(colourName(await pixelAt(data, 5, 34))).toBe('blue');
        expect((await sharp(data).metadata()).orientation).toBeUndefined();
      },
    );
  });

  describe('colour', () => {
    const sizes = [{ name: 'one', width: 50, height: 50 }];
    const orange = { r: 200, g: 100, b: 50 };

    it('converts CMYK to 3-channel sRGB', async () => {
      const input = await solid(40, 40, orange).toColourspace('cmyk').jpeg().toBuffer();
      expect((await sharp(input).metadata()).space).toBe('cmyk');

      const [output] = await resizeImage(input, { sizes });

      const metadata = await sharp(output?.data).metadata();
      expect(metadata).toMatchObject({ space: 'srgb', channels: 3 });
    });

    it('converts 16-bit input to 8-bit', async () => {
      const input = await solid(40, 40, orange).toColourspace('rgb16').png().toBuffer();
      expect((await sharp(input).metadata()).depth).toBe('ushort');

      const [output] = await resizeImage(input, { sizes, format: 'webp' });

      expect((await sharp(output?.data).metadata()).depth).toBe('uchar');
      expect(
        channelDistance(await pixelAt(output?.data ?? Buffer.alloc(0), 20, 20), orange),
      ).toBeLessThanOrEqual(4);
    });

    it.each([
      ['8-bit', 'srgb'],
      ['16-bit', 'rgb16'],
    ] as const)(
      'converts a wide-gamut (Display P3) %s input to sRGB without a colour shift',
      async (_, space) => {
        // Stored as P3 values (about 187,105,61 for this orange) with the P3 profile that says so.
        const input = await solid(40, 40, orange).withIccProfile('p3').toColourspace(space).png().toBuffer();

        const [output] = await resizeImage(input, { sizes, format: 'webp' });

        expect(
          channelDistance(await pixelAt(output?.data ?? Buffer.alloc(0), 20, 20), orange),
        ).toBeLessThanOrEqual(4);
      },
    );

    it('flattens alpha onto white for JPEG', async () => {
      const input = await transparentCorner();

      const [output] = await resizeImage(input, { sizes });

      const data = output?.data ?? Buffer.alloc(0);
      expect((await sharp(data).metadata()).hasAlpha).toBe(false);
      expect(colourName(await pixelAt(data, 0, 0))).toBe('white');
      expect(colourName(await pixelAt(data, 45, 45))).toBe('red');
    });

    it.each(['webp', 'avif'] as const)('keeps alpha for %s', async (format) => {
      const input = await transparentCorner();

      const [output] = await resizeImage(input, { sizes, format });

      const data = output?.data ?? Buffer.alloc(0);
      expect((await sharp(data).metadata()).hasAlpha).toBe(true);
      expect((await pixelAt(data, 0, 0)).alpha).toBeLessThan(10);
      expect((await pixelAt(data, 45, 45)).alpha).toBeGreaterThan(245);
    });
  });

  describe('multi-frame input', () => {
    it.each(['gif', 'webp', 'tiff'] as const)(
      'uses only the first frame of a two-frame %s',
      async (format) => {
        const input = await twoFrames(format);
        expect((await sharp(input).metadata()).pages).toBe(2);

        const [output] = await resizeImage(input, {
          sizes: [{ name: 'one', width: 100, height: 100 }],
          format: 'webp',
        });

        expect(output).toMatchObject({ width: 40, height: 30 });
        const metadata = await sharp(output?.data).metadata();
        expect(metadata.pages ?? 1).toBe(1);
        expect(colourName(await pixelAt(output?.data ?? Buffer.alloc(0), 20, 15))).toBe('red');
      },
    );

    it('counts one frame against the pixel limit', async () => {
      const input = await twoFrames('gif');

      const outputs = await resizeImage(input, { limitInputPixels: 40 * 30 });

      expect(outputs).toHaveLength(4);
    });
  });

  describe('metadata', () => {
    it.each(['jpeg', 'webp', 'avif'] as const)(
      'strips EXIF, GPS, XMP and the ICC profile from %s',
      async (format) => {
        const input = await solid(64, 48, 'teal')
          .withExif({
            IFD0: { Copyright: 'Jane Doe', Make: 'Camera Co' },
            IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' },
          })
          .withXmp(
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>',
          )
          .withIccProfile('p3')
          .jpeg()
          .toBuffer();
        const before = await sharp(input).metadata();
        expect(before.exif?.includes('Jane Doe')).toBe(true);
        expect(hasGpsPointer(before.exif)).toBe(true);
        expect([before.xmp, before.icc].every(Boolean)).toBe(true);

        const outputs = await resizeImage(input, { sizes: defaultSizes.slice(0, 2), format });

        for (const output of outputs) {
          const after = await sharp(output.data).metadata();
          expect(after).not.toHaveProperty('exif');
          expect(after).not.toHaveProperty('xmp');
          expect(after).not.toHaveProperty('iptc');
          expect(after).not.toHaveProperty('icc');
          expect(output.data.includes('Jane Doe')).toBe(false);
        }
      },
    );
  });

  describe('refused input', () => {
    it.each([
      [
        'SVG',
        Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100"/></svg>',
        ),
        'svg',
      ],
      ['HEIC (HEVC in HEIF)', heicHeader(), 'heic'],
      ['plain text', Buffer.from('just some words, not an image\n'), undefined],
      ['random bytes', randomBytes(4096), undefined],
      ['an empty buffer', Buffer.alloc(0), undefined],
    ])('refuses %s as an unsupported format', async (_, input, format) => {
      const error = await rejectionOf(resizeImage(input));

      expect(error).toBeInstanceOf(UnsupportedImageFormatError);
      // Permanent: retrying the same bytes cannot help.
      expect(error).toBeInstanceOf(PermanentError);
      expect(error).toMatchObject({ format, reason: 'unsupported-format' });
    });

    it('refuses PDF as an unsupported format (whether or not sharp has a PDF loader)', async () => {
      const pdf = Buffer.from(
        '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
          '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
      );

      await expect(resizeImage(pdf)).rejects.toBeInstanceOf(UnsupportedImageFormatError);
    });

    it.each(['jpeg', 'png', 'webp', 'gif', 'avif'] as const)(
      'reports a truncated %s as corrupt',
      async (format) => {
        const whole = await photoLike(200, 150).toFormat(format).toBuffer();

        const error = await rejectionOf(resizeImage(whole.subarray(0, whole.length >> 1)));

        expect(error).toBeInstanceOf(CorruptImageError);
      },
    );

    it.each([
      ['PNG', () => pngClaiming(100_000, 100_000), 100_000 * 100_000],
      ['JPEG', () => jpegClaiming(60_000, 60_000), 60_000 * 60_000],
    ])('refuses a %s whose header claims billions of pixels, before decoding', async (_, make, pixels) => {
      const input = await make();
      const rssBefore = process.memoryUsage().rss;

      const error = await rejectionOf(resizeImage(input));

      // Refused by the header check, before any decode: a refusal from the decoder (sharp's own pixel
      // limit) comes wrapped, with the decoder's error as its cause. (Not a time bound: on a loaded
      // machine any bound is either flaky or too loose to tell the two apart.)
      expect(error).toBeInstanceOf(ImageTooManyPixelsError);
      expect(error).not.toHaveProperty('cause');
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(50 * 1024 * 1024);
      expect(error).toMatchObject({ pixels, limit: 50_000_000 });
    });

    it('refuses an image over a configured pixel limit', async () => {
      const input = await solid(3000, 3000).png().toBuffer();

      const error = await rejectionOf(resizeImage(input, { limitInputPixels: 1_000_000 }));

      expect(error).toBeInstanceOf(ImageTooManyPixelsError);
      expect(error).toMatchObject({ pixels: 9_000_000, limit: 1_000_000 });
    });

    it('lets errors that are not about the bytes propagate as they are', async () => {
      const input = await solid(10, 10).png().toBuffer();

      const error = await rejectionOf(resizeImage(input, { quality: 0 }));

      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(ImageError);
    });
  });
});

describe('fitInside', () => {
  it('scales by the tighter side of the box and never below 1 px', () => {
    expect(fitInside({ width: 4032, height: 3024 }, { width: 150, height: 150 })).toEqual({
      width: 150,
      height: 113,
    });
    expect(fitInside({ width: 10_000, height: 10 }, { width: 150, height: 150 })).toEqual({
      width: 150,
      height: 1,
    });
  });
});

describe('sharpSettingsFor', () => {
  it.each([
    [128, 1],
    [1769, 1],
    [3008, 2],
    [10_240, 6],
  ])('gives %i MB %i libvips thread(s) and no operation cache', (memoryMb, concurrency) => {
    expect(sharpSettingsFor(memoryMb)).toEqual({ concurrency, cache: false });
  });
});

describe('configureSharp', () => {
  const defaultConcurrency = sharp.concurrency();
  afterEach(() => {
    sharp.concurrency(defaultConcurrency);
    sharp.cache(true);
  });

  it('applies the settings for the memory size to sharp', () => {
    configureSharp({ memoryMb: 3008 });

    expect(sharp.concurrency()).toBe(2);
    expect(sharp.cache()).toMatchObject({ memory: { max: 0 }, items: { max: 0 } });
  });
});

/** 50×50 PNG: transparent, with an opaque red 40×40 square in its bottom-right. */
function transparentCorner(): Promise<Buffer> {
  const transparent = { r: 0, g: 0, b: 0, alpha: 0 };
  return sharp({ create: { width: 50, height: 50, channels: 4, background: transparent } })
    .composite([
      { input: { create: { width: 40, height: 40, channels: 4, background: 'red' } }, left: 10, top: 10 },
    ])
    .png()
    .toBuffer();
}

/** Whether raw EXIF holds the GPSInfo IFD pointer (tag 0x8825), in the byte order its TIFF header declares. */
function hasGpsPointer(exif: Buffer | undefined): boolean {
  if (!exif) return false;
  const intel = exif.toString('latin1', 6, 8) === 'II';
  return exif.includes(Buffer.from(intel ? [0x25, 0x88] : [0x88, 0x25]));
}
