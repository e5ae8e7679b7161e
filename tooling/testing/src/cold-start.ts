import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The shared child: serves one event from a fresh process and prints `{"importMs":…,"firstResponseMs":…}` last. */
export const coldStartChildScript = fileURLToPath(new URL('./cold-start-child.mjs', import.meta.url));

export interface ColdStartSample {
  /** Spawn → exit of the child, measured here. */
  wallMs: number;
  /** import() of the handler alone (module evaluation: config read, clients built), inside the child. */
  importMs: number;
  /** import() of the handler → its first response, measured inside the child. */
  firstResponseMs: number;
}

/**
 * Spawns one fresh node process that imports `handlerFile` and serves `eventFile` once. `args` follow
 * the event on the child's command line (for the shared child: `[check.mjs, ...check args]`). `execPath`
 * is the Node.js binary to run (default: this process's), so one bench can compare Node versions.
 */
export function coldStart({
  childScript = coldStartChildScript,
  handlerFile,
  eventFile,
  env,
  args = [],
  execPath = process.execPath,
}: {
  childScript?: string;
  handlerFile: string;
  eventFile: string;
  env: Record<string, string>;
  args?: readonly string[];
  execPath?: string;
}): Promise<ColdStartSample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Only the variables Lambda would set: none of this process's environment (tsx's loader included).
    const child = spawn(execPath, [childScript, handlerFile, eventFile, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let wallMs = Number.NaN;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('exit', () => {
      wallMs = performance.now() - started;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(
          new Error(`cold start of ${handlerFile} on ${execPath} exited with ${code}:\n${stderr}${stdout}`),
        );
        return;
      }
      // The function's own output (its ColdStart EMF line) comes first; the child's figure is the last line.
      const figure = stdout.trim().split('\n').at(-1) ?? '';
      const { importMs, firstResponseMs } = JSON.parse(figure) as ColdStartSample;
      resolve({ wallMs, importMs, firstResponseMs });
    });
  });
}

export interface Summary {
  median: number;
  p90: number;
}

/** Median and 90th percentile, interpolating between the nearest ranks. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (quantile: number) => {
    const position = (sorted.length - 1) * quantile;
    const below = sorted[Math.floor(position)] ?? Number.NaN;
    const above = sorted[Math.ceil(position)] ?? Number.NaN;
    return below + (above - below) * (position - Math.floor(position));
  };
  return { median: at(0.5), p90: at(0.9) };
}
