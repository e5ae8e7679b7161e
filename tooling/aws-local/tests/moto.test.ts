import { describe, expect, it } from 'vitest';
import { type MotoServer, startMoto } from '../src/moto.ts';

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

  it('gives servers started at the same time a port each, never one server to two callers', async () => {
    // Act
    const motos = await Promise.all([startMoto(), startMoto(), startMoto()]);
    try {
      // Assess: three ports, and a bucket made in one server is in that one only
      expect(new Set(motos.map((moto) => moto.endpoint)).size).toBe(3);
      const [first, ...others] = motos as [MotoServer, ...MotoServer[]];
      expect((await fetch(`${first.endpoint}/only-here`, { method: 'PUT' })).ok).toBe(true);
      for (const other of others)
        expect((await fetch(`${other.endpoint}/only-here`, { method: 'HEAD' })).status).toBe(404);
    } finally {
      await Promise.all(motos.map((moto) => moto.stop()));
    }
  });

  it('fails with install instructions when moto is not installed, instead of skipping', async () => {
    await expect(startMoto({ command: 'moto_server_that_does_not_exist' })).rejects.toThrow(
      'pip install "moto[server]"',
    );
  });
});
