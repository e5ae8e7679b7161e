import { relative } from 'node:path';
import type { ContractReport } from './load-facts.ts';

/** The lines `pnpm check:contract` prints: failures (✗), warnings (!), then one line per passing function. */
export function formatReport(report: ContractReport, seconds: number): { lines: string[]; ok: boolean } {
  const failures = [...report.failures, ...report.results.flatMap((result) => result.failures)];
  const warnings = report.results.flatMap((result) => result.warnings);
  const lines = [
    ...failures.map((failure) => `✗ ${failure}`),
    ...warnings.map((warning) => `! ${warning}`),
    ...report.results.filter((result) => result.failures.length === 0).map((result) => `✓ ${result.summary}`),
    ...report.skipped.map((skipped) => `- skipped ${skipped}`),
  ];
  const checked = report.results.length + report.failures.length;
  const shown = relative(process.cwd(), report.templatePath);
  const template = shown && !shown.startsWith('..') ? shown : report.templatePath;
  const verdict =
    failures.length === 0
      ? `contract: ${checked} functions match ${template}`
      : `contract: ${failures.length} failure${failures.length === 1 ? '' : 's'} in ${checked} functions of ${template}`;
  lines.push(`${verdict} (${seconds.toFixed(1)} s)`);
  return { lines, ok: failures.length === 0 };
}
