import { describe, expect, it } from 'vitest';
import { startMoto } from '../src/moto.ts';

describe('startMoto', () => {
  it('starts moto_server on a free loopback port, resets it, and stops it', async () => {
    const moto = await startMoto();
    try {
      expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const created = await fetch(`${moto.endpoint}/test-bucket`, { method: 'PUT' });
      expect(created.ok).toBe(true);

      await moto.reset();

      const afterReset = await fetch(`${moto.endpoint}/test-bucket`, { method: 'HEAD' });
      expect(afterReset.status).toBe(404);
    } finally {
      await moto.stop();
    }
    await expect(fetch(`${moto.endpoint}/moto-api/data.json`)).rejects.toThrow();
  });

  it('fails with install instructions when moto is not installed, instead of skipping', async () => {
    await expect(startMoto({ command: 'moto_server_that_does_not_exist' })).rejects.toThrow(
      'pip install "moto[server]"',
    );
  });
});
