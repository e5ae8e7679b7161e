import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type/core';

/** What one pass over an object's bytes tells about it. */
export interface ObjectScan {
  size: number;
  sha256: string;
  /** From the bytes (magic numbers, else UTF-8 text), never from the name or the S3 Content-Type. */
  detectedContentType: string;
  /** The first bytes of a UTF-8 text file, cut at a character boundary. */
  textPreview?: string;
  previewTruncated?: boolean;
}

// file-type needs at most this many bytes from the start of a file to recognise it.
const sniffBytes = 4_100;

/**
 * Streams an object once: size, SHA-256, type from the first bytes and, for UTF-8 text, a preview of at
 * most `previewBytes`. Holds only the first few kilobytes, whatever the object's size (the stream's
 * size limit is readObject's).
 */
export async function scanObject(
  body: AsyncIterable<Uint8Array>,
  { previewBytes }: { previewBytes: number },
): Promise<ObjectScan> {
  const hash = createHash('sha256');
  const keep = Math.max(sniffBytes, previewBytes + 4);
  const head = Buffer.alloc(keep);
  let headLength = 0;
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    hash.update(chunk);
    if (headLength < keep) {
      const take = Math.min(keep - headLength, chunk.length);
      head.set(chunk.subarray(0, take), headLength);
      headLength += take;
    }
  }
  const start = head.subarray(0, headLength);
  const sniffed = await fileTypeFromBuffer(start.subarray(0, sniffBytes));
  const text = !sniffed && isUtf8Text(start, size > headLength);
  const scan: ObjectScan = {
    size,
    sha256: hash.digest('hex'),
    detectedContentType: sniffed?.mime ?? (text ? 'text/plain; charset=utf-8' : 'application/octet-stream'),
  };
  if (text && size > 0) {
    scan.textPreview = utf8Prefix(start, previewBytes);
    scan.previewTruncated = size > Buffer.byteLength(scan.textPreview);
  }
  return scan;
}

/** UTF-8 without NUL bytes; a multi-byte character cut off by the end of the head does not count against it. */
function isUtf8Text(head: Buffer, truncated: boolean): boolean {
  if (head.includes(0)) return false;
  try {
    // `stream` leaves an incomplete trailing sequence pending instead of failing on it.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: truncated });
    return true;
  } catch {
    return false;
  }
}

/** The longest prefix of at most `limit` bytes that ends on a character boundary. */
function utf8Prefix(bytes: Buffer, limit: number): string {
  return bytes.subarray(0, lastCharacterBoundary(bytes, Math.min(limit, bytes.length))).toString('utf8');
}

/** `end`, or the start of the character that `end` would split. */
function lastCharacterBoundary(bytes: Buffer, end: number): number {
  let cut = end;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that crosses `end`.
  while (cut > 0 && cut < bytes.length && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut -= 1;
  return cut;
}
