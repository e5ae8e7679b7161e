import { createHash } from 'node:crypto';

/** A complete 1×1 PNG. */
export const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** The start of a JFIF JPEG (SOI, APP0 "JFIF") and its end marker: what type detection looks at. */
export const jpeg = Buffer.from([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
  0x00, 0x00, 0xff, 0xd9,
]);

/** A minimal PDF document. */
export const pdf = Buffer.from(
  '%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
);

/**
 * `length` bytes that look random (SHA-256 in counter mode) but are the same on every run, so no run
 * can stumble on a magic number by chance. They start with 0xF7 0x00, which no file type begins with.
 */
export function noise(length: number): Buffer {
  const blocks: Buffer[] = [Buffer.from([0xf7, 0x00])];
  for (let counter = 0; blocks.length * 32 < length + 32; counter += 1) {
    blocks.push(createHash('sha256').update(`noise-${counter}`).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** SHA-256 in hex, computed independently of the code under test. */
export const sha256 = (bytes: Uint8Array | string): string =>
  createHash('sha256').update(bytes).digest('hex');

/** `bytes` split into chunks of `size` (the last one shorter). */
export function chunked(bytes: Uint8Array, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) {
    chunks.push(Buffer.from(bytes.subarray(start, start + size)));
  }
  return chunks;
}
