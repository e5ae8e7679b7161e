import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { pathToFileURL } from 'node:url';

/** A V8 CPU profile as `node --cpu-prof` writes it (the fields read here). */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Where a cold start's CPU time went, by owner: each sample's self time is charged to the npm package
 * (or the repository folder) of the source the bundle's source map gives for its function, to Node.js's
 * own JavaScript (built-ins, module loader), or to V8's native buckets ("(program)", "(garbage
 * collector)"). Returns milliseconds per owner, summed over `profileFiles`, largest first.
 *
 * Written here because the profile viewers (Chrome DevTools, speedscope) show functions, not bundle
 * owners, and none reads a bundle's source map to group by package.
 */
export function cpuTimeByOwner(profileFiles: readonly string[], bundleFile: string): [string, number][] {
  const bundleUrl = pathToFileURL(bundleFile).href;
  const map = new SourceMap(JSON.parse(readFileSync(`${bundleFile}.map`, 'utf8')));
  const totals = new Map<string, number>();
  for (const file of profileFiles) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, index) => {
      const frame = nodes.get(id)?.callFrame;
      if (!frame) return;
      const owner = ownerOf(frame, bundleUrl, map);
      totals.set(owner, (totals.get(owner) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
    });
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

function ownerOf(frame: CpuProfile['nodes'][number]['callFrame'], bundleUrl: string, map: SourceMap): string {
  if (frame.url === bundleUrl) {
    const source = map.findEntry(frame.lineNumber, frame.columnNumber);
    const original = 'originalSource' in source ? source.originalSource : '';
    const npm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(original);
    if (npm?.[1]) return npm[1];
    const shared = /(?:^|\/)(packages\/[^/]+)\//.exec(original);
    if (shared?.[1]) return shared[1];
    // The map's sources are relative to dist/: the function's own code is ../src/…
    if (/^(?:\.\.\/)?src\//.test(original) || /(?:^|\/)apps\/[^/]+\/src\//.test(original))
      return 'the function’s src/';
    return 'bundle (esbuild runtime, unmapped)';
  }
  // V8's own buckets: "(program)" (native work outside JavaScript), "(garbage collector)", "(idle)"
  if (frame.url === '' && frame.functionName.startsWith('(')) return frame.functionName;
  if (frame.url === '' || frame.url.startsWith('node:')) return 'Node.js built-ins and module loader';
  return 'outside the bundle (the bench child)';
}
