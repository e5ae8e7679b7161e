import { describe, expect, it } from 'vitest';
import { outputOf, runProcess } from '../src/run-process.ts';

describe('runProcess', () => {
  it('gives what a process printed on each stream and how it ended', async () => {
    const result = await runProcess(process.execPath, [
      '-e',
      'process.stdout.write("out"); process.stderr.write("err"); process.exit(3)',
    ]);

    expect(result).toEqual({ status: 3, signal: null, stdout: 'out', stderr: 'err' });
  });

  it('rejects when the command cannot be started', async () => {
    await expect(runProcess('/nonexistent/command', [])).rejects.toThrow(/ENOENT/);
  });
});

describe('outputOf', () => {
  it('is the stdout of a process that succeeded', async () => {
    await expect(outputOf('echo', process.execPath, ['-e', 'console.log("fine")'])).resolves.toBe('fine\n');
  });

  it('fails naming the process, its exit and everything it printed', async () => {
    await expect(
      outputOf('the child', process.execPath, [
        '-e',
        'console.log("said"); console.error("bad"); process.exit(2)',
      ]),
    ).rejects.toThrow('the child exited with 2:\nbad\nsaid\n');
  });
});
