import sharp from 'sharp';
import { defaultSizes } from '../src/outputs.ts';
import { resizeImage } from '../src/resize-image.ts';

/** resizeImage's default; the naive port refuses the same inputs. */
const limitInputPixels = 50_000_000;
const largest = 1200;

/** What is timed: each variant turns one input into what it produces, discarding nothing unexpected. */
export type Variant = (input: Buffer) => Promise<{ width: number; height: number }[]>;

/** (a) The naive port: one full sharp pipeline (decode, orient, resize, encode) per size, one after another. */
export const naivePort: Variant = async (input) => {
  const outputs: { width: number; height: number }[] = [];
  // Sequential, as on Lambda's single vCPU at 1,769 MB: running them in parallel would buy nothing there.
  for (const size of defaultSizes) {
    const { info } = await sharp(input, { limitInputPixels })
      .rotate()
      .resize({ width: size.width, height: size.height, fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 85 })
      .toBuffer({ resolveWithObject: true });
    outputs.push(info);
  }
  return outputs;
};

/** (b) The floor: decode, orient and one resize to the largest box; no encoding at all. */
export const floor: Variant = async (input) => {
  const { info } = await sharp(input)
    .rotate()
    .resize(largest, largest, { fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return [info];
};

/** (c) Ours: decode once, derive every size from the raw intermediate. */
export const ours: Variant = (input) => resizeImage(input);

export const variants = { naive: naivePort, floor, ours } as const;
export type VariantName = keyof typeof variants;
