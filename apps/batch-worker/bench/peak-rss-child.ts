/**
 * One peak-RSS sample, run by bench.ts in a fresh process: `node --import tsx bench/peak-rss-child.ts
 * <idle|batch> <concurrency> <memoryMb> <calls> <photo.jpg>…`. Both modes import the worker, build the
 * handler and hold the photos in memory (the in-process S3 fake serves them); `idle` stops there (the
 * baseline), `batch` runs the 10-job batch `calls` times, as a warm container would. Prints
 * `{"afterFirstKb":…,"afterAllKb":…,"source":…}`: peak RSS in KB.
 *
 * Peak RSS is this address space's high-water mark, VmHWM in /proc/self/status. Not
 * process.resourceUsage().maxRSS: on Linux a spawned child's maxRSS starts at its parent's RSS (the kernel
 * counts the forked copy of the parent's memory at exec), so it would report the bench's own. Where there
 * is no /proc (macOS), maxRSS it is, with that caveat.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createBenchWorker } from './worker-batch.ts';

const [mode, concurrencyArg = '1', memoryArg = '0', callsArg = '1', ...files] = process.argv.slice(2);

function peakRssKb(): { kb: number; source: 'VmHWM' | 'maxRSS' } {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (hwm) return { kb: Number(hwm), source: 'VmHWM' };
  } catch {
    // No procfs: fall through to maxRSS.
  }
  return { kb: process.resourceUsage().maxRSS, source: 'maxRSS' };
}

if ((mode === 'idle' || mode === 'batch') && files.length > 0) {
  const photos = new Map<string, Buffer>();
  for (const file of files) photos.set(basename(file, '.jpg'), await readFile(file));
  const worker = createBenchWorker({
    photos,
    concurrency: Number(concurrencyArg),
    memoryMb: Number(memoryArg),
  });
  let afterFirstKb = peakRssKb().kb;
  if (mode === 'batch') {
    for (let call = 0; call < Number(callsArg); call++) {
      await worker.runBatch();
      if (call === 0) afterFirstKb = peakRssKb().kb;
    }
  }
  const { kb, source } = peakRssKb();
  console.log(JSON.stringify({ afterFirstKb, afterAllKb: kb, source }));
} else {
  console.error(
    'usage: node --import tsx bench/peak-rss-child.ts <idle|batch> <concurrency> <memoryMb> <calls> <photo.jpg>…',
  );
  process.exitCode = 2;
}
