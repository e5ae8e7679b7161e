import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevProcess, root, startDev } from './dev-process.ts';

interface FileState {
  inode: number;
  size: number;
  modifiedMs: number;
  sha256: string;
}

/** Every file under apps/<app>/dist, by path: what `pnpm build` made and other tasks read. */
function distFiles(): Record<string, FileState> {
  const files: Record<string, FileState> = {};
  for (const app of readdirSync(join(root, 'apps'))) {
    const dist = join(root, 'apps', app, 'dist');
    if (!existsSync(dist)) continue;
    for (const name of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
      const path = join(dist, name);
      const stats = statSync(path);
      if (!stats.isFile()) continue;
      files[path] = {
        inode: stats.ino,
        size: stats.size,
        modifiedMs: stats.mtimeMs,
        sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
      };
    }
  }
  return files;
}

const before = distFiles();
let first: DevProcess;
let second: DevProcess;

beforeAll(async () => {
  // Two stacks of the repo's own template at once, each with its own stack file (one watching sources).
  [first, second] = await Promise.all([startDev([], undefined, { watch: true }), startDev()]);
});

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
});

describe('pnpm dev beside other tasks', () => {
  it('has apps/*/dist to read (turbo builds the apps before these tests)', () => {
    const apps = readdirSync(join(root, 'apps'));
    expect(Object.keys(before).filter((path) => path.endsWith('index.mjs'))).toHaveLength(apps.length);
  });

  it('runs two stacks side by side, each with its own AWS, API, bundles and data', async () => {
    // Prepare
    expect(first.stack.endpoint).not.toBe(second.stack.endpoint);
    expect(first.stack.apiUrl).not.toBe(second.stack.apiUrl);
    for (const dev of [first, second]) {
      for (const { handlerFile } of Object.values(dev.stack.functions))
        expect(handlerFile.startsWith(join(dirname(dev.stackFile), 'stack.build'))).toBe(true);
    }

    // Each stack has its own user pool: a user signs in to each separately.
    const [inFirst, inSecond] = await Promise.all([
      first.signIn('grace@example.com'),
      second.signIn('grace@example.com'),
    ]);

    // Act
    const created = await fetch(`${first.stack.apiUrl}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...inFirst },
      body: JSON.stringify({ name: 'Grace Hopper', email: 'grace@example.com' }),
    });
    const listedFirst = await fetch(`${first.stack.apiUrl}/users`, { headers: inFirst });
    const listedSecond = await fetch(`${second.stack.apiUrl}/users`, { headers: inSecond });
    const crossed = await fetch(`${second.stack.apiUrl}/users`, { headers: inFirst });

    // Assess
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(((await listedFirst.json()) as { items: { id: string }[] }).items.map((user) => user.id)).toEqual([
      id,
    ]);
    expect(await listedSecond.json()).toMatchObject({ items: [] });
    // A token of the first stack's pool is a foreign pool's to the second.
    expect(crossed.status).toBe(401);
  });

  it('refuses a second pnpm dev on a stack file that a running one uses', async () => {
    await expect(startDev(['--stack-file', first.stackFile])).rejects.toThrow(
      /exited with 1[\s\S]*another pnpm dev \(pid \d+\) is running with .*stack\.json/,
    );
    // The running one is untouched.
    const headers = await first.signIn('grace@example.com');
    expect((await fetch(`${first.stack.apiUrl}/users`, { headers })).status).toBe(200);
  });

  it('stops both and removes their build folders, never the apps’ node_modules they link to', async () => {
    expect(await Promise.all([first.stop(), second.stop()])).toEqual([0, 0]);

    for (const dev of [first, second]) {
      expect(existsSync(dev.stackFile)).toBe(false);
      expect(existsSync(join(dirname(dev.stackFile), 'stack.build'))).toBe(false);
    }
    for (const app of readdirSync(join(root, 'apps')))
      expect(existsSync(join(root, 'apps', app, 'node_modules'))).toBe(true);
  });

  it('left apps/*/dist byte for byte and inode for inode as it was', () => {
    expect(distFiles()).toEqual(before);
  });
});
