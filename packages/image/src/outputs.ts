/**
 * What the image functions write, and where: the sizes and the output keys. Apart from resize-image.ts so
 * that code which only names outputs — an API handing out links to them — does not load sharp.
 */

export interface OutputSize {
  /** Used in output keys: processed/<name>/<file>. */
  name: string;
  /** Bounding box: the output fits inside it, keeping the aspect ratio, and is never upscaled. */
  width: number;
  height: number;
}

/** thumbnail 150, small 300, medium 600, large 1200 (bounding boxes). */
export const defaultSizes: readonly OutputSize[] = [
  { name: 'thumbnail', width: 150, height: 150 },
  { name: 'small', width: 300, height: 300 },
  { name: 'medium', width: 600, height: 600 },
  { name: 'large', width: 1200, height: 1200 },
];

/**
 * Where the output of `size` for the upload `inputKey` lives: `<outputPrefix><size>/<name>`, `name` being
 * the key below `inputPrefix` (subfolders kept, so `uploads/<owner>/<id>` → `processed/small/<owner>/<id>`).
 */
export function outputKeyOf(
  { inputPrefix, outputPrefix }: { inputPrefix: string; outputPrefix: string },
  inputKey: string,
  size: string,
): string {
  return `${outputPrefix}${size}/${inputKey.slice(inputPrefix.length)}`;
}
