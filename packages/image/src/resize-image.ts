// API contract for the image core; the implementation is being written (see the issue).
export interface OutputSize {
  /** Used in output keys: processed/<name>/<file>. */
  name: string;
  /** Bounding box: the output fits inside it, keeping the aspect ratio, and is never upscaled. */
  width: number;
  height: number;
}

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

/** thumbnail 150, small 300, medium 600, large 1200 (bounding boxes). */
export const defaultSizes: readonly OutputSize[] = [
  { name: 'thumbnail', width: 150, height: 150 },
  { name: 'small', width: 300, height: 300 },
  { name: 'medium', width: 600, height: 600 },
  { name: 'large', width: 1200, height: 1200 },
];

/** Decodes `input` once and returns one output per size, largest work shared. */
export async function resizeImage(_input: Buffer, _options: ResizeOptions = {}): Promise<ResizedImage[]> {
  throw new Error('not implemented yet');
}

/** Tunes sharp for a function's memory size (threads, cache); call once at cold start. */
export function configureSharp(_settings: { memoryMb: number }): void {}
