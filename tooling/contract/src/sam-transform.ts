import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Template } from '@repo/sam-template/read-template';
import type { CfnTemplate } from './cloudformation.ts';

/** Thrown when the SAM translator is missing or rejects the template. */
export class SamTransformError extends Error {
  override readonly name = 'SamTransformError';
}

const script = fileURLToPath(new URL('./sam-transform.py', import.meta.url));

/**
 * Expands a SAM template to plain CloudFormation with the real SAM translator (python3 with
 * aws-sam-translator, which cfn-lint installs), offline: policy templates, Globals, event sources and
 * the roles SAM writes come out exactly as CloudFormation would receive them.
 */
export function samTransform(
  template: Template,
  python = process.env.PYTHON ?? 'python3',
): Promise<CfnTemplate> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      reject(
        new SamTransformError(
          `cannot run ${python} (${error.message}): install Python 3 and cfn-lint (pip install cfn-lint), which brings the SAM translator`,
        ),
      );
    });
    child.on('close', (code) => {
      const errors = Buffer.concat(stderr).toString('utf8').trim();
      if (code !== 0) {
        const hint = /No module named/.test(errors)
          ? ' — pip install cfn-lint (it brings aws-sam-translator)'
          : '';
        reject(new SamTransformError(`the SAM transform failed: ${errors || `exit code ${code}`}${hint}`));
        return;
      }
      resolve(JSON.parse(Buffer.concat(stdout).toString('utf8')) as CfnTemplate);
    });
    child.stdin.end(JSON.stringify(template));
  });
}
