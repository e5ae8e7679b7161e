/**
 * Why an image cannot be processed. Every one of these is permanent: the same bytes fail the same way
 * on every retry, so callers log them once and do not retry. Anything else thrown by the image core
 * (out of memory, an I/O fault) is not an ImageError and may be worth a retry.
 */
export abstract class ImageError extends Error {
  readonly permanent = true;
  abstract readonly reason: 'unsupported-format' | 'too-many-pixels' | 'corrupt' | 'too-large';
}

/** The bytes are not an image format we accept (decided from the bytes, never from the file name). */
export class UnsupportedImageFormatError extends ImageError {
  override readonly name = 'UnsupportedImageFormatError';
  readonly reason = 'unsupported-format';
  constructor(
    readonly format: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`Unsupported image format: ${format ?? 'unknown'}`, options);
  }
}

/** The header claims more pixels than the limit: refused before decoding (decompression bombs). */
export class ImageTooManyPixelsError extends ImageError {
  override readonly name = 'ImageTooManyPixelsError';
  readonly reason = 'too-many-pixels';
  constructor(
    readonly pixels: number,
    readonly limit: number,
    options?: { cause?: unknown },
  ) {
    super(`Image has ${pixels} pixels, more than the limit of ${limit}`, options);
  }
}

/** The input is larger in bytes than the caller allows (checked while reading, before decoding). */
export class ImageTooLargeError extends ImageError {
  override readonly name = 'ImageTooLargeError';
  readonly reason = 'too-large';
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`Image is larger than ${limit} bytes`);
  }
}

/** The bytes claim to be a supported image but cannot be decoded (truncated, damaged). */
export class CorruptImageError extends ImageError {
  override readonly name = 'CorruptImageError';
  readonly reason = 'corrupt';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`Corrupt or truncated image: ${message}`, options);
  }
}
