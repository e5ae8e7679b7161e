import { ConfigError, loadConfig } from '@repo/config/load-config';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config.ts';

describe('image-resizer config', () => {
  it('defaults to the four standard sizes, JPEG q85, uploads/ → processed/', () => {
    const config = loadConfig(configSchema, {});

    expect(config.OUTPUT_SIZES).toEqual([
      { name: 'thumbnail', width: 150, height: 150 },
      { name: 'small', width: 300, height: 300 },
      { name: 'medium', width: 600, height: 600 },
      { name: 'large', width: 1200, height: 1200 },
    ]);
    expect(config).toMatchObject({
      OUTPUT_FORMAT: 'jpeg',
      OUTPUT_QUALITY: 85,
      INPUT_PREFIX: 'uploads/',
      OUTPUT_PREFIX: 'processed/',
    });
  });

  it('takes sizes, format and quality per function', () => {
    const config = loadConfig(configSchema, {
      OUTPUT_SIZES: 'icon:64,hero:2000',
      OUTPUT_FORMAT: 'webp',
      OUTPUT_QUALITY: '70',
    });

    expect(config.OUTPUT_SIZES).toEqual([
      { name: 'icon', width: 64, height: 64 },
      { name: 'hero', width: 2000, height: 2000 },
    ]);
    expect(config).toMatchObject({ OUTPUT_FORMAT: 'webp', OUTPUT_QUALITY: 70 });
  });

  it.each([
    ['OUTPUT_SIZES', 'thumbnail=150'],
    ['OUTPUT_FORMAT', 'gif'],
    ['OUTPUT_QUALITY', '0'],
    ['INPUT_PREFIX', '/uploads'],
    ['MAX_INPUT_PIXELS', '10'],
  ])('rejects %s=%s by name', (name, value) => {
    expect(() => loadConfig(configSchema, { [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig(configSchema, { [name]: value })).toThrow(new RegExp(`${name} is invalid`));
  });
});
