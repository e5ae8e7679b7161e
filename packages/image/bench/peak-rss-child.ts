/**
 * One peak-RSS sample, run by bench.ts in a fresh process: `node --import tsx bench/peak-rss-child.ts
 * <idle|naive|ours> [image] [calls]`. Every variant imports the same modules and applies the same sharp
 * settings; `idle` stops there (the baseline), the others read `image` and process it `calls` times, as a
 * warm container would. Prints `{"afterFirstKb":…,"afterAllKb":…,"source":…}`: peak RSS in KB.
 *
 * Peak RSS is this address space's high-water mark, VmHWM in /proc/self/status. Not
 * process.resourceUsage().maxRSS: on Linux a spawned child's maxRSS starts at its parent's RSS (the kernel
 * counts the forked copy of the parent's memory at exec), so it would report the bench's own ~400 MB.
 * Where there is no /proc (macOS), maxRSS it is, with that caveat.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { configureSharp } from '../src/resize-image.ts';
import { type VariantName, variants } from './variants.ts';

const [name, file, callsArg = '1'] = process.argv.slice(2);
configureSharp({ memoryMb: 1769 });

function peakRssKb(): { kb: number; source: 'VmHWM' | 'maxRSS' } {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (hwm) return { kb: Number(hwm), source: 'VmHWM' };
  } catch {
    // No procfs: fall through to maxRSS.
  }
  return { kb: process.resourceUsage().maxRSS, source: 'maxRSS' };
}

if (name === 'idle') {
  const { kb, source } = peakRssKb();
  console.log(JSON.stringify({ afterFirstKb: kb, afterAllKb: kb, source }));
} else if (name && name in variants && file) {
  const variant = variants[name as VariantName];
  const input = await readFile(file);
  const calls = Number(callsArg);
  let afterFirstKb = 0;
  for (let call = 0; call < calls; call++) {
    const outputs = await variant(input);
    if (outputs.length === 0) throw new Error(`${name} produced nothing for ${file}`);
    if (call === 0) afterFirstKb = peakRssKb().kb;
  }
  const { kb, source } = peakRssKb();
  console.log(JSON.stringify({ afterFirstKb, afterAllKb: kb, source }));
} else {
  console.error('usage: node --import tsx bench/peak-rss-child.ts <idle|naive|ours> [image] [calls]');
  process.exitCode = 2;
}
