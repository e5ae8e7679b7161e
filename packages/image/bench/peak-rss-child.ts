/**
 * One peak-RSS sample, run by bench.ts in a fresh process: `node --import tsx bench/peak-rss-child.ts
 * <idle|naive|ours> [image] [calls]`. Every variant imports the same modules and applies the same sharp
 * settings; `idle` stops there (the baseline), the others read `image` and process it `calls` times, as a
 * warm container would. Prints `{"afterFirstKb":…,"afterAllKb":…}`: the process's maxRSS in KB.
 */
import { readFile } from 'node:fs/promises';
import { configureSharp } from '../src/resize-image.ts';
import { type VariantName, variants } from './variants.ts';

const [name, file, callsArg = '1'] = process.argv.slice(2);
configureSharp({ memoryMb: 1769 });

if (name === 'idle') {
  const { maxRSS } = process.resourceUsage();
  console.log(JSON.stringify({ afterFirstKb: maxRSS, afterAllKb: maxRSS }));
} else if (name && name in variants && file) {
  const variant = variants[name as VariantName];
  const input = await readFile(file);
  const calls = Number(callsArg);
  let afterFirstKb = 0;
  for (let call = 0; call < calls; call++) {
    const outputs = await variant(input);
    if (outputs.length === 0) throw new Error(`${name} produced nothing for ${file}`);
    if (call === 0) afterFirstKb = process.resourceUsage().maxRSS;
  }
  console.log(JSON.stringify({ afterFirstKb, afterAllKb: process.resourceUsage().maxRSS }));
} else {
  console.error('usage: node --import tsx bench/peak-rss-child.ts <idle|naive|ours> [image] [calls]');
  process.exitCode = 2;
}
