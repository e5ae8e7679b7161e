import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileCacheMiss } from '../src/compile-cache.ts';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An artifact's cache as the build writes it: one folder per Node.js it was made for, one entry each. */
function shippedCache(...folders: string[]) {
  const root = mkdtempSync(join(tmpdir(), 'compile-cache-'));
  made.push(root);
  for (const folder of folders) {
    mkdirSync(join(root, folder));
    writeFileSync(join(root, folder, 'a317406f'), 'cache');
  }
  return root;
}

describe('compileCacheMiss', () => {
  it('is nothing to report when the template names no compile cache (tests, pnpm dev)', () => {
    expect(compileCacheMiss({}, undefined)).toBeUndefined();
  });

  it('is nothing to report when this Node.js found its own folder with the bundle’s entry', () => {
    const root = shippedCache('v24.22.3-arm64-1c717fce-0');

    expect(compileCacheMiss({ NODE_COMPILE_CACHE: root }, join(root, 'v24.22.3-arm64-1c717fce-0'))).toBe(
      undefined,
    );
  });

  it('reports the Node.js running and what the artifact carries when Node could not make its folder', () => {
    // In Lambda /var/task is read-only: a Node.js of another version cannot create its folder, and says none
    const root = shippedCache('v24.22.3-arm64-1c717fce-0');

    expect(compileCacheMiss({ NODE_COMPILE_CACHE: root }, undefined)).toEqual({
      running: `${process.version}-${process.arch}`,
      shipped: ['v24.22.3-arm64-1c717fce-0'],
    });
  });

  it('reports a miss when this Node.js’s folder exists but holds nothing (made just now, somewhere writable)', () => {
    const root = shippedCache('v24.22.3-arm64-1c717fce-0');
    mkdirSync(join(root, 'v24.23.0-arm64-1c717fce-0'));

    expect(compileCacheMiss({ NODE_COMPILE_CACHE: root }, join(root, 'v24.23.0-arm64-1c717fce-0'))).toEqual({
      running: `${process.version}-${process.arch}`,
      shipped: ['v24.22.3-arm64-1c717fce-0', 'v24.23.0-arm64-1c717fce-0'],
    });
  });

  it('reports a miss with nothing shipped when the folder the template names is not in the artifact', () => {
    expect(compileCacheMiss({ NODE_COMPILE_CACHE: join(tmpdir(), 'no-such-cache') }, undefined)).toEqual({
      running: `${process.version}-${process.arch}`,
      shipped: [],
    });
  });
});
