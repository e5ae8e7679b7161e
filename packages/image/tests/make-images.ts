import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

type Rgb = { r: number; g: number; b: number };

/** A flat-colour image of any size (cheap even when large: flat PNG compresses to almost nothing). */
export function solid(width: number, height: number, background: Rgb | string = 'red') {
  return sharp({ create: { width, height, channels: 3, background } });
}

/** Gradients plus noise, so encoders have detail to spend quality on (a flat image compresses to nothing). */
export function photoLike(width: number, height: number) {
  const pixels = randomBytes(width * height * 3);
  for (let i = 0; i < pixels.length; i += 3) {
    const x = (i / 3) % width;
    const y = Math.floor(i / 3 / width);
    pixels[i] = ((x * 255) / width + (pixels[i] ?? 0) / 8) & 0xff;
    pixels[i + 1] = ((y * 255) / height + (pixels[i + 1] ?? 0) / 8) & 0xff;
    pixels[i + 2] = (pixels[i + 2] ?? 0) / 2;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

/** Upright: red top-left quadrant, green top-right, blue elsewhere; every flip or turn of it looks different. */
export function quadrants(width = 60, height = 40) {
  const quadrant = (background: string) => ({
    create: { width: width / 2, height: height / 2, channels: 3 as const, background },
  });
  return solid(width, height, 'blue').composite([
    { input: quadrant('red'), left: 0, top: 0 },
    { input: quadrant('lime'), left: width / 2, top: 0 },
  ]);
}

export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/**
 * `upright` stored the way a camera would store it when tagging EXIF `orientation`: the stored pixels
 * are the inverse of the transform the tag asks a viewer to apply.
 */
export async function orientedJpeg(upright: Buffer, orientation: Orientation): Promise<Buffer> {
  const undo: Record<Orientation, (image: Sharp) => Sharp> = {
    1: (image) => image,
    2: (image) => image.flop(),
    3: (image) => image.rotate(180),
    4: (image) => image.flip(),
    5: (image) => image.rotate(-90).flop(),
    6: (image) => image.rotate(-90),
    7: (image) => image.rotate(90).flop(),
    8: (image) => image.rotate(90),
  };
  const stored = await undo[orientation](sharp(upright)).png().toBuffer();
  return sharp(stored).withMetadata({ orientation }).jpeg({ quality: 95 }).toBuffer();
}

/** Frames joined as one animated image (or multi-page TIFF), first frame red, second blue. */
export async function twoFrames(format: 'gif' | 'webp' | 'tiff'): Promise<Buffer> {
  const frame = (background: string) => solid(40, 30, background).png().toBuffer();
  return sharp([await frame('red'), await frame('blue')], { join: { animated: true } })
    .toFormat(format)
    .toBuffer();
}

/** RGB of the pixel at (x, y) and its alpha (255 when the image has none). */
export async function pixelAt(image: Buffer, x: number, y: number) {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  const [r = 0, g = 0, b = 0] = data.subarray(at, at + 3);
  return { r, g, b, alpha: info.channels === 4 ? (data[at + 3] ?? 0) : 255 };
}

/** A tiny valid PNG whose IHDR (with a correct CRC) claims `width` × `height`. */
export async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await solid(8, 8).png().toBuffer());
  // Signature (8) + IHDR length (4) + "IHDR" (4), then width and height; the CRC covers type and data.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

/** A tiny valid JPEG whose frame header (SOF) claims `width` × `height`. */
export async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await solid(8, 8).jpeg().toBuffer());
  let at = 2;
  // Walk the marker segments to SOF0..SOF15, skipping DHT (C4), JPG (C8) and DAC (CC).
  while (!isStartOfFrame(jpeg[at + 1] ?? 0)) at += 2 + jpeg.readUInt16BE(at + 2);
  // Marker (2), length (2), precision (1), then height and width.
  jpeg.writeUInt16BE(height, at + 5);
  jpeg.writeUInt16BE(width, at + 7);
  return jpeg;
}

function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
}

/**
 * A HEIC (HEVC in HEIF) header: sharp's prebuilt libheif cannot encode HEVC, so the boxes are written by
 * hand. The image data is junk; a correct refusal never gets as far as decoding it.
 */
export function heicHeader(width = 64, height = 48): Buffer {
  const u8 = (n: number) => Buffer.from([n]);
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const box = (type: string, ...parts: Buffer[]) => {
    const body = Buffer.concat(parts);
    return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
  };
  const fullBox = (type: string, version: number, ...parts: Buffer[]) =>
    box(type, u32(version << 24), ...parts);
  // HEVCDecoderConfigurationRecord: version 1, Main profile, level 3, 4:2:0, 8-bit, no parameter sets.
  const hvcC = box(
    'hvcC',
    Buffer.from('01 01 60000000 900000000000 5a f000 fc fd f8 f8 0000 0f 00'.replaceAll(' ', ''), 'hex'),
  );
  const ispe = fullBox('ispe', 0, u32(width), u32(height));
  const mdatPayload = Buffer.alloc(16, 0xaa);
  const meta = (dataOffset: number) =>
    fullBox(
      'meta',
      0,
      fullBox('hdlr', 0, u32(0), Buffer.from('pict', 'latin1'), Buffer.alloc(12), u8(0)),
      fullBox('pitm', 0, u16(1)),
      fullBox(
        'iloc',
        0,
        u8(0x44),
        u8(0),
        u16(1),
        u16(1),
        u16(0),
        u16(1),
        u32(dataOffset),
        u32(mdatPayload.length),
      ),
      fullBox('iinf', 0, u16(1), fullBox('infe', 2, u16(1), u16(0), Buffer.from('hvc1', 'latin1'), u8(0))),
      box('iprp', box('ipco', hvcC, ispe), fullBox('ipma', 0, u32(1), u16(1), u8(2), u8(0x81), u8(0x02))),
    );
  const ftyp = box('ftyp', Buffer.from('heic', 'latin1'), u32(0), Buffer.from('mif1heic', 'latin1'));
  const dataOffset = ftyp.length + meta(0).length + 8;
  return Buffer.concat([ftyp, meta(dataOffset), box('mdat', mdatPayload)]);
}

const palette = {
  red: [255, 0, 0],
  green: [0, 255, 0],
  blue: [0, 0, 255],
  white: [255, 255, 255],
  black: [0, 0, 0],
};

/** The palette colour nearest to a pixel, so assertions read as colours and survive encoder rounding. */
export function colourName({ r, g, b }: { r: number; g: number; b: number }): keyof typeof palette {
  const distance = ([pr, pg, pb]: number[]) =>
    ((pr ?? 0) - r) ** 2 + ((pg ?? 0) - g) ** 2 + ((pb ?? 0) - b) ** 2;
  const names = Object.keys(palette) as (keyof typeof palette)[];
  return names.reduce((best, name) => (distance(palette[name]) < distance(palette[best]) ? name : best));
}

/** Largest per-channel difference between two colours. */
export function channelDistance(
  a: { r: number; g: number; b: number },
  b: { r: number; g: number; b: number },
) {
  return Math.max(Math.abs(a.r - b.r), Math.abs(a.g - b.g), Math.abs(a.b - b.b));
}
