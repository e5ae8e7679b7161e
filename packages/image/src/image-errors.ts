import { PermanentError } from '@repo/object-processing/outcome';

/**
 * Why an image cannot be processed. Every one of these is permanent (a PermanentError): the same bytes
 * fail the same way on every retry, so callers log them once and do not retry. Anything else thrown by
 * the image core (out of memory, an I/O fault) is not an ImageError and may be worth a retry.
 */
export abstract class ImageError extends PermanentError {
  declare readonly reason: 'unsupported-format' | 'too-many-pixels' | 'corrupt';
}

/** The bytes are not an image format we accept (decided from the bytes, never from the file name). */
export class UnsupportedImageFormatError extends ImageError {
  override readonly name = 'UnsupportedImageFormatError';
  constructor(
    readonly format: string | undefined,
    options?: { cause?: unknown },
  ) {
    super('unsupported-format', `Unsupported image format: ${format ?? 'unknown'}`, options);
  }
}

/** The header claims more pixels than the limit: refused before decoding (decompression bombs). */
export class ImageTooManyPixelsError extends ImageError {
  override readonly name = 'ImageTooManyPixelsError';
  constructor(
    readonly pixels: number,
    readonly limit: number,
    options?: { cause?: unknown },
  ) {
    super('too-many-pixels', `Image has ${pixels} pixels, more than the limit of ${limit}`, options);
  }
}

/** The bytes claim to be a supported image but cannot be decoded (truncated, damaged). */
export class CorruptImageError extends ImageError {
  override readonly name = 'CorruptImageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('corrupt', `Corrupt or truncated image: ${message}`, options);
  }
}
