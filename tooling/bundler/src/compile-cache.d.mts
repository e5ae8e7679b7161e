/** The folder, beside `index.mjs` in an artifact, that holds Node's compile cache for it. */
export const compileCacheDirName: string;
/** Writes Node's compile cache for `<artifactDir>/index.mjs` with the Node.js of `runtime` for `arch`. */
export function writeCompileCache(options: {
  artifactDir: string;
  runtime: string;
  arch: 'x64' | 'arm64';
}): Promise<{ folder: string; nodeVersion: string; bytes: number }>;
