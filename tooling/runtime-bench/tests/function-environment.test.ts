import { join } from 'node:path';
import { findWorkspaceRoot } from '@repo/sam-template/read-template';
import { describe, expect, it } from 'vitest';
import { declaredFunction } from '../bench/function-environment.ts';

const templatePath = join(findWorkspaceRoot(import.meta.dirname), 'template.yaml');

describe('declaredFunction', () => {
  it('gives a function its Globals and own variables, intrinsics resolved as for a dev stack', () => {
    // Act
    const processor = declaredFunction(templatePath, 'upload-processor');

    // Assess
    expect(processor.logicalId).toBe('UploadProcessorFunction');
    expect(processor.environment).toMatchObject({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_SERVICE_NAME: 'upload-processor',
      INPUT_PREFIX: 'uploads/',
      UPLOADS_TABLE_NAME: 'runtime-bench-uploadstable',
    });
    // upload-processor's config accepts only an SNS topic ARN: a topic's !Ref is one.
    expect(processor.environment.UPLOADS_TOPIC_ARN).toMatch(/^arn:aws:sns:us-east-1:\d{12}:runtime-bench-/);
    expect(processor.memoryMb).toBeGreaterThan(0);
    expect(processor.timeoutSeconds).toBeGreaterThan(0);
  });

  it('fails naming the app when no function has its CodeUri', () => {
    expect(() => declaredFunction(templatePath, 'no-such-app')).toThrow(/CodeUri apps\/no-such-app/);
  });
});
