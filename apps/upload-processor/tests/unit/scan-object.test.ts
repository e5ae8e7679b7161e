import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { scanObject } from '../../src/scan-object.ts';
import { chunked, jpeg, noise, pdf, png, sha256 } from '../files.ts';

const limits = { previewBytes: 1024 };

async function* stream(chunks: readonly Uint8Array[]) {
  yield* chunks;
}

const scan = (chunks: readonly Uint8Array[], options: Partial<typeof limits> = {}) =>
  scanObject(stream(chunks), { ...limits, ...options });

describe('scanObject', () => {
  it.each([
    ['UTF-8 text', Buffer.from('Grüße aus Köln — 東京 😀 '.repeat(400))],
    ['binary bytes', noise(50_000)],
  ])('gives the same size and SHA-256 for %s in 7-byte chunks as in one chunk', async (_, bytes) => {
    const whole = await scan([bytes]);
    const pieces = await scan(chunked(bytes, 7));

    expect(whole.size).toBe(bytes.length);
    expect(whole.sha256).toBe(sha256(bytes));
    expect(pieces).toEqual(whole);
  });

  it.each([
    ['PNG', png, 'image/png'],
    ['JPEG', jpeg, 'image/jpeg'],
    ['PDF', pdf, 'application/pdf'],
  ])('detects a %s by its magic number, even when it arrives a byte at a time', async (_, bytes, type) => {
    const result = await scan(chunked(bytes, 1));

    expect(result).toEqual({ size: bytes.length, sha256: sha256(bytes), detectedContentType: type });
  });

  it('recognises UTF-8 text whose multi-byte characters are split across chunks', async () => {
    const content = 'Grüße, 世界! 😀 naïve café';
    const bytes = Buffer.from(content);

    const result = await scan(chunked(bytes, 3));

    expect(result).toEqual({
      size: bytes.length,
      sha256: sha256(bytes),
      detectedContentType: 'text/plain; charset=utf-8',
      textPreview: content,
      previewTruncated: false,
    });
  });

  it('recognises a long text whose kept head ends inside a character', async () => {
    // 3-byte characters: the ~4 KB head cannot end on a character boundary.
    const content = '€'.repeat(3_000);

    const result = await scan(chunked(Buffer.from(content), 1_000));

    expect(result.detectedContentType).toBe('text/plain; charset=utf-8');
    expect(result.textPreview).toBe('€'.repeat(341));
    expect(result.previewTruncated).toBe(true);
  });

  it('cuts the preview at the limit on a character boundary', async () => {
    // 'abc' then a 4-byte emoji straddling the 5-byte limit.
    const result = await scan([Buffer.from('abc😀def')], { previewBytes: 5 });

    expect(result.textPreview).toBe('abc');
    expect(result.previewTruncated).toBe(true);
  });

  it.each([
    ['a NUL byte', Buffer.from('looks like text\u0000but is not')],
    ['invalid UTF-8', Buffer.from([0x48, 0x69, 0xc3, 0x28, 0x21])],
    ['a truncated multi-byte character at the very end', Buffer.from([0x48, 0x69, 0xe2, 0x82])],
  ])('calls bytes with %s application/octet-stream, without a preview', async (_, bytes) => {
    const result = await scan([bytes]);

    expect(result).toEqual({
      size: bytes.length,
      sha256: sha256(bytes),
      detectedContentType: 'application/octet-stream',
    });
  });

  it('scans an empty object: size 0, the SHA-256 of nothing, no preview', async () => {
    const result = await scan([]);

    expect(result.size).toBe(0);
    expect(result.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(result.textPreview).toBeUndefined();
  });

  it('keeps memory bounded: 200 MB streamed in fresh 1 MB chunks grow heap + buffers by < 20 MB', async () => {
    // Expose V8's gc() so the samples measure what is still referenced, not garbage not yet collected.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const retained = () => {
      gc();
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      return heapUsed + arrayBuffers;
    };
    const megabyte = 1024 * 1024;
    const expected = createHash('sha256');
    let peak = 0;
    async function* generated() {
      for (let index = 0; index < 200; index += 1) {
        // A new buffer per chunk (never reused), so a scanner that kept its chunks would hold 200 MB.
        const chunk = Buffer.allocUnsafe(megabyte).fill(index % 251);
        expected.update(chunk);
        yield chunk;
        if (index % 10 === 9) peak = Math.max(peak, retained());
      }
    }
    const before = retained();

    const result = await scanObject(generated(), { previewBytes: 64 * 1024 });

    expect(result.size).toBe(200 * megabyte);
    expect(result.sha256).toBe(expected.digest('hex'));
    expect(result.detectedContentType).toBe('application/octet-stream');
    expect(peak - before).toBeLessThan(20 * megabyte);
  }, 60_000);
});
