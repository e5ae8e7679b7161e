import { localVariables } from '@repo/sam-template/artifact-variables';
import { findWorkspaceRoot, readTemplate, serverlessFunctions } from '@repo/sam-template/read-template';

/**
 * BatchWorkerFunction as template.yaml declares it: its MemorySize, and those environment variables whose
 * values are plain strings or numbers (intrinsics such as `!Ref UploadsBucket` are left out), without
 * those that only mean something inside the artifact (its compile cache).
 */
export function batchWorkerFunction(): { memoryMb: number; environment: Record<string, string> } {
  const template = readTemplate(`${findWorkspaceRoot(import.meta.dirname)}/template.yaml`);
  const worker = serverlessFunctions(template).find((fn) => fn.logicalId === 'BatchWorkerFunction');
  const memoryMb = worker?.properties.MemorySize;
  if (typeof memoryMb !== 'number') throw new Error('template.yaml: BatchWorkerFunction has no MemorySize');
  const environment = Object.fromEntries(
    Object.entries(localVariables(worker?.properties ?? {}))
      .filter(([, value]) => typeof value === 'string' || typeof value === 'number')
      .map(([name, value]) => [name, String(value)]),
  );
  return { memoryMb, environment };
}
