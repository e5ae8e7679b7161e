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
  /**
   * The folder the source map's paths are relative to: default `<appDir>/dist` wherever the files go (a
   * SAM artifact is byte for byte the `pnpm build` bundle); the local stack passes its own folder.
   */
  layoutDir?: string;
  /** Also write esbuild's metafile as `meta.json` (default true; a Lambda artifact leaves it out). */
  metafile?: boolean;
  /** esbuild's target, such as `node24`; default `node22` (what `pnpm build` and `sam build` use). */
  target?: `node${number}`;
}

/** Bundles one Lambda function's `src/handler.ts` into `index.mjs` (+ source map), each file replaced atomically. */
export function bundleLambda(
  options: BundleOptions,
): Promise<{ outFile: string; bytes: number | undefined; metafile: Metafile }>;
