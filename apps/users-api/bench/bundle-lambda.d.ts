// @repo/bundler is JSDoc-checked JavaScript without declarations; this is the part bench.ts calls.
declare module '@repo/bundler/bundle-lambda' {
  /** Bundles `<appDir>/src/handler.ts` into `<outDir>/index.mjs` (see packages/bundler). */
  export function bundleLambda(options: {
    appDir: string;
    outDir?: string;
    externalAwsSdk?: boolean;
  }): Promise<{ outFile: string; bytes: number | undefined; metafile: unknown }>;
}
