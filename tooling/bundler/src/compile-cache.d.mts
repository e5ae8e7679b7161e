/** The folder, beside `index.mjs` in an artifact, that holds Node's compile cache for it. */
export const compileCacheDirName: string;
/** The V8 flags of Lambda's Node.js bootstrap that name the cache's folder. */
export const lambdaBootstrapV8Flags: string[];
/** Writes Node's compile cache for `<artifactDir>/index.mjs` with the Node.js of `runtime` for `arch`. */
export function writeCompileCache(options: {
  artifactDir: string;
  runtime: string;
  arch: 'x64' | 'arm64';
}): Promise<{ folder: string; nodeVersion: string; bytes: number }>;
