import sharp, { type Metadata } from 'sharp';
import { CorruptImageError, ImageTooManyPixelsError, UnsupportedImageFormatError } from './image-errors.ts';
import { defaultSizes, type OutputSize } from './outputs.ts';

export type OutputFormat = 'jpeg' | 'webp' | 'avif';

export interface ResizeOptions {
  sizes?: readonly OutputSize[];
  format?: OutputFormat;
  /** 1–100; default 85. */
  quality?: number;
  /** Refuse inputs whose header claims more pixels than this; default 50 MP. */
  limitInputPixels?: number;
}

export interface ResizedImage {
  size: string;
  width: number;
  height: number;
  format: OutputFormat;
  contentType: string;
  data: Buffer;
}

const contentTypes: Record<OutputFormat, string> = {
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
};

/** Loaders we decode; sharp reports AVIF as `heif`, accepted only when it is AV1 (see formatOf). */
const acceptedFormats = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif']);

/** libvips/loader wording for bytes that cannot be decoded (see the truncated-input tests). */
const undecodable =
  /VipsJpeg|vipspng|pngload|gifload|webp|tiff|heif|corrupt|truncated|premature end|unexpected end|read error|treated as error/i;
/** Out of memory can surface through a decoder ("VipsJpeg: Insufficient memory"); it is worth a retry. */
const outOfMemory = /out of memory|insufficient memory|cannot allocate|bad_alloc/i;

interface Dimensions {
  width: number;
  height: number;
}

interface Target extends Dimensions {
  size: string;
}

interface DecodedPixels {
  data: Buffer;
  info: Dimensions & { channels: 1 | 2 | 3 | 4 };
}

/**
 * Resizes `input` to every size (same order), fitting inside each box without upscaling; the original is
 * decoded once, to the largest output, and the smaller sizes are derived from those pixels.
 */
export async function resizeImage(input: Buffer, options: ResizeOptions = {}): Promise<ResizedImage[]> {
  const { sizes = defaultSizes, format = 'jpeg', quality = 85, limitInputPixels = 50_000_000 } = options;
  const header = await readHeader(input);
  // Only page 0 is decoded (pages: 1), so one page's pixels is what a bomb can cost us.
  const pixels = header.width * header.height;
  if (pixels > limitInputPixels) throw new ImageTooManyPixelsError(pixels, limitInputPixels);

  const targets = sizes.map((size) => ({ size: size.name, ...fitInside(header.autoOrient, size) }));
  const largest = targets.reduce<Target | undefined>(
    (a, b) => (a && a.width * a.height >= b.width * b.height ? a : b),
    undefined,
  );
  if (!largest) return [];

  const decoded = await decodeOnce(input, header, largest, format, limitInputPixels);
  return Promise.all(targets.map((target) => encode(decoded, target, format, quality, limitInputPixels)));
}

/** Output dimensions for `image` inside `box`: aspect ratio kept, never larger than the image. */
export function fitInside(image: Dimensions, box: Dimensions): Dimensions {
  const scale = Math.min(box.width / image.width, box.height / image.height, 1);
  return {
    width: Math.max(1, Math.round(image.width * scale)),
    height: Math.max(1, Math.round(image.height * scale)),
  };
}

/**
 * sharp settings for a Lambda function of `memoryMb`. Lambda allots CPU in proportion to memory (one vCPU
 * at 1,769 MB, up to 6 at 10,240 MB), so libvips gets one thread per whole vCPU, rounded, at least 1.
 * The operation cache is off: a function sees unrelated images, so cached operations only cost memory.
 */
export function sharpSettingsFor(memoryMb: number): { concurrency: number; cache: false } {
  const vcpus = memoryMb / 1769;
  return { concurrency: Math.min(6, Math.max(1, Math.round(vcpus))), cache: false };
}

/**
 * Tunes sharp for a function's memory size (threads, cache); call once at cold start.
 * sharp defaults to one thread on glibc (Lambda's runtime) unless MALLOC_ARENA_MAX is set, to limit
 * memory fragmentation; this overrides that, so functions above ~2.6 GB should set MALLOC_ARENA_MAX=2.
 */
export function configureSharp({ memoryMb }: { memoryMb: number }): void {
  const settings = sharpSettingsFor(memoryMb);
  sharp.concurrency(settings.concurrency);
  sharp.cache(settings.cache);
}

/** The header, read without decoding pixels; refuses anything not on the allow-list. */
async function readHeader(input: Buffer): Promise<Metadata> {
  let header: Metadata;
  try {
    // No pixel limit here: metadata() decodes no pixels, and our own check can report the count.
    header = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    const message = messageOf(error);
    if (/unsupported image format|buffer is empty/i.test(message)) {
      throw new UnsupportedImageFormatError(undefined, { cause: error });
    }
    if (/corrupt header/i.test(message)) throw new CorruptImageError(oneLine(message), { cause: error });
    throw error;
  }
  const format = formatOf(header);
  if (!acceptedFormats.has(format)) throw new UnsupportedImageFormatError(format);
  return header;
}

/** `avif` for AV1-compressed HEIF, `heic` for HEVC (not decodable by sharp's prebuilt libheif). */
function formatOf(header: Metadata): string {
  if (header.format !== 'heif') return header.format;
  return header.compression === 'av1' ? 'avif' : header.compression === 'hevc' ? 'heic' : 'heif';
}

/** Decodes the first page, upright, in 8-bit sRGB, shrunk to `largest` (JPEG shrink-on-load applies). */
async function decodeOnce(
  input: Buffer,
  header: Metadata,
  largest: Dimensions,
  format: OutputFormat,
  limitInputPixels: number,
): Promise<DecodedPixels> {
  const image = sharp(input, { limitInputPixels, pages: 1, page: 0 })
    .autoOrient()
    // `fill` to the exact dimensions fitInside chose, so every size agrees with fitInside.
    .resize(largest.width, largest.height, { fit: 'fill' });
  // sharp converts 16-bit RGB through its embedded profile to Display P3, then casts to 8-bit without
  // converting P3 to sRGB (red 255,0,0 becomes 234,51,34). Casting to sRGB first keeps colours right; it
  // disables JPEG shrink-on-load, which no 16-bit input uses.
  if (header.space === 'rgb16') image.pipelineColourspace('srgb');
  // JPEG has no alpha: flatten onto white here, once, not per size.
  if (format === 'jpeg') image.flatten({ background: '#ffffff' });
  try {
    // Raw pixels carry no metadata, so no output can inherit EXIF, GPS, XMP, IPTC or an ICC profile.
    return await image.raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw decodeError(error, header, limitInputPixels);
  }
}

/** Encodes one size from the decoded pixels. */
async function encode(
  decoded: DecodedPixels,
  target: Target,
  format: OutputFormat,
  quality: number,
  limitInputPixels: number,
): Promise<ResizedImage> {
  const { width, height, channels } = decoded.info;
  const { data, info } = await sharp(decoded.data, { raw: { width, height, channels }, limitInputPixels })
    .resize(target.width, target.height, { fit: 'fill' })
    .toFormat(format, { quality })
    .toBuffer({ resolveWithObject: true });
  return {
    size: target.size,
    width: info.width,
    height: info.height,
    format,
    contentType: contentTypes[format],
    data,
  };
}

/**
 * A decoder's complaint about an accepted format is about the bytes (permanent); running out of memory is
 * not, and neither is anything we do not recognise: those propagate so the caller can retry.
 */
function decodeError(error: unknown, header: Metadata, limitInputPixels: number): unknown {
  const message = messageOf(error);
  if (outOfMemory.test(message)) return error;
  if (/exceeds pixel limit/i.test(message)) {
    return new ImageTooManyPixelsError(header.width * header.height, limitInputPixels, { cause: error });
  }
  if (undecodable.test(message)) return new CorruptImageError(oneLine(message), { cause: error });
  return error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** libvips joins one line per complaint; logs want one line. */
function oneLine(message: string): string {
  return message.trim().replace(/\s*\n\s*/g, '; ');
}
