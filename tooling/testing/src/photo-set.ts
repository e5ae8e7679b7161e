import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import writeFileAtomic from 'write-file-atomic';

/** One generated photo: its size, seed and encoding. */
export interface PhotoSpec {
  name: string;
  /** Stored pixel dimensions (before EXIF orientation). */
  width: number;
  height: number;
  seed: number;
  format: 'jpeg' | 'png';
  /** EXIF orientation tag; 6 is a phone held upright: stored landscape, shown portrait. */
  orientation?: number;
}

/** A generated photo on disk, with whatever else its spec carries (a bench's grouping, say). */
export type Photo<Spec extends PhotoSpec = PhotoSpec> = Spec & {
  file: string;
  bytes: number;
  orientation: number;
};

/** Noise strength in 8-bit levels: enough for camera-like JPEG sizes (~0.25 bytes/pixel at q90). */
const noiseSigma = 10;

/**
 * A bench's photo set, generated once into `dir` and reused (file names start with `cacheTag`: bump it
 * when the set or the generator changes). Each file is written with write-file-atomic (a temporary name of
 * its own beside it, then renamed over it), so an interrupted run never leaves a truncated photo behind to
 * be "reused", and two runs generating at once never write into one file: a reader sees none or a whole one.
 */
export async function loadPhotoSet<Spec extends PhotoSpec>(
  dir: string,
  specs: readonly Spec[],
  { cacheTag }: { cacheTag: string },
): Promise<{ photos: Photo<Spec>[]; generated: number }> {
  await mkdir(dir, { recursive: true });
  const photos: Photo<Spec>[] = [];
  let generated = 0;
  for (const spec of specs) {
    const file = join(dir, `${cacheTag}-${spec.name}.${spec.format === 'jpeg' ? 'jpg' : 'png'}`);
    let data: Buffer | undefined = await readFile(file).catch(() => undefined);
    if (!data) {
      const fresh = await generate(spec);
      await writeFileAtomic(file, fresh);
      data = fresh;
      generated++;
    }
    photos.push({ ...spec, file, bytes: data.byteLength, orientation: spec.orientation ?? 1 });
  }
  return { photos, generated };
}

/** Encodes a photo-like image: JPEG at q90 as a camera would, PNG at zlib's default level. */
async function generate(spec: PhotoSpec): Promise<Buffer> {
  const image = photoLike(spec.width, spec.height, spec.seed);
  if (spec.format === 'png') return image.png().toBuffer();
  if (spec.orientation && spec.orientation !== 1) image.withMetadata({ orientation: spec.orientation });
  return image.jpeg({ quality: 90 }).toBuffer();
}

/**
 * Gradients and slow waves per channel plus gaussian noise, from a seeded generator: the same pixels on
 * every machine. Flat colour would compress to nothing and make decoding look free.
 */
function photoLike(width: number, height: number, seed: number) {
  const random = mulberry32(seed);
  const uniform = () => random() / 2 ** 32;
  // A table of gaussian samples (Box–Muller), indexed by the generator: 72 M logs would take seconds.
  const gaussian = new Int8Array(1 << 16);
  for (let i = 0; i < gaussian.length; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    gaussian[i] = Math.max(-127, Math.min(127, Math.round(z * noiseSigma)));
  }
  const channels = 3;
  // Separable base: per channel, a column term and a row term (gradient + sine of random frequency).
  const wave = (length: number) => {
    const slope = 120 * uniform();
    const cycles = 1 + 6 * uniform();
    const phase = 2 * Math.PI * uniform();
    return Float32Array.from(
      { length },
      (_, i) => 30 + (slope * i) / length + 40 * Math.sin((2 * Math.PI * cycles * i) / length + phase),
    );
  };
  const columns = Array.from({ length: channels }, () => wave(width));
  const rows = Array.from({ length: channels }, () => wave(height));
  const pixels = Buffer.allocUnsafe(width * height * channels);
  // A clamped view rounds and clips every write to 0–255, as a sensor's ADC would.
  const clamped = new Uint8ClampedArray(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  let at = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        clamped[at++] = (columns[c]?.[x] ?? 0) + (rows[c]?.[y] ?? 0) + (gaussian[random() & 0xffff] ?? 0);
      }
    }
  }
  return sharp(pixels, { raw: { width, height, channels } });
}

/** A small, fast, seeded 32-bit generator (mulberry32). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
