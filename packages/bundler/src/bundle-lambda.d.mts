import type { Metafile } from 'esbuild';

export interface BundleOptions {
  /** The app's folder (holds package.json and src/handler.ts). */
  appDir: string;
  /** Where index.mjs and its source map go; default `<appDir>/dist`. */
  outDir?: string;
  /** Leave `@aws-sdk/*` and `@smithy/*` to the Lambda runtime instead of bundling them. */
  externalAwsSdk?: boolean;
  /** More module substitutions, module name → absolute file (benchmarks build variants this way). */
  alias?: Record<string, string>;
}

/** Bundles one Lambda function's `src/handler.ts` into `index.mjs` (+ source map). */
export function bundleLambda(
  options: BundleOptions,
): Promise<{ outFile: string; bytes: number | undefined; metafile: Metafile }>;
