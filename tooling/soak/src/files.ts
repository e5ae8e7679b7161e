import { defaultSizes } from '@repo/image/outputs';
import { photo } from '@repo/testing/photos';
import sharp from 'sharp';
import { type HostileKind, photoSet } from './plan.ts';

/** A file the soak uploads, with the content type its link declares. */
export interface SoakFile {
  bytes: Buffer;
  contentType: string;
}

/** The width and height of each output of a valid photo, by size name. */
export type ExpectedOutputs = Record<string, { width: number; height: number }>;

/** The soak's files, made once per run: the photo set and one file of each hostile kind. */
export interface SoakFiles {
  photos: SoakFile[];
  hostile: Record<HostileKind, SoakFile>;
}

export async function makeSoakFiles(): Promise<SoakFiles> {
  const photos = await Promise.all(
    photoSet.map(async ([width, height, orientation]) => ({
      bytes: await photo(width, height, { orientation }),
      contentType: 'image/jpeg',
    })),
  );
  const first = photos[0]?.bytes ?? Buffer.alloc(0);
  const bomb = await sharp({
    create: { width: 12_000, height: 6_000, channels: 3, background: 'white' },
  })
    .png({ compressionLevel: 9 })
    .toBuffer();
  return {
    photos,
    hostile: {
      // Text behind an image's content type: what a client can send through any link.
      'not-an-image': {
        bytes: Buffer.from('this is not an image, whatever the link said\n'.repeat(40)),
        contentType: 'image/jpeg',
      },
      // The first 60% of a JPEG: its header promises more than there is.
      truncated: { bytes: first.subarray(0, Math.floor(first.length * 0.6)), contentType: 'image/jpeg' },
      // 72 megapixels of white, a few hundred KB compressed: over image-resizer's MAX_INPUT_PIXELS.
      'pixel-bomb': { bytes: bomb, contentType: 'image/png' },
    },
  };
}

/** The outputs a photo of the set must give, after its EXIF orientation is applied. */
export function expectedOutputs(photoIndex: number): ExpectedOutputs {
  const [width, height, orientation] = photoSet[photoIndex] ?? [0, 0, 1];
  const [shownWidth, shownHeight] = orientation >= 5 ? [height, width] : [width, height];
  // image-resizer's sizes: bounding boxes, the aspect kept, never upscaled.
  return Object.fromEntries(
    defaultSizes.map(({ name, width: boxWidth, height: boxHeight }) => {
      const scale = Math.min(boxWidth / shownWidth, boxHeight / shownHeight, 1);
      return [name, { width: Math.round(shownWidth * scale), height: Math.round(shownHeight * scale) }];
    }),
  );
}

/**
 * A JPEG grown to exactly `length` bytes with comment segments (COM, 0xFFFE) after its start marker —
 * a link signs one length, so an overwrite through the same link must have it too. The image is
 * unchanged: decoders skip comments.
 */
export function padJpeg(jpeg: Buffer, length: number): Buffer {
  let missing = length - jpeg.length;
  if (missing === 0) return jpeg;
  if (missing < 4) throw new Error(`cannot pad a JPEG by ${missing} bytes (a segment takes at least 4)`);
  const segments: Buffer[] = [];
  while (missing > 0) {
    // A segment carries at most 65,533 bytes after its 4-byte marker and length; never leave < 4 over.
    let size = Math.min(missing, 65_537);
    if (missing - size > 0 && missing - size < 4) size -= 4;
    const segment = Buffer.alloc(size, 0x20);
    segment.writeUInt16BE(0xfffe, 0);
    segment.writeUInt16BE(size - 2, 2);
    segments.push(segment);
    missing -= size;
  }
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}
