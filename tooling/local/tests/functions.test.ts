import type { Template } from '@repo/sam-template/read-template';
import { describe, expect, it } from 'vitest';
import { localFunctions } from '../src/functions.ts';

const stack = {
  region: 'us-east-1',
  accountId: '123456789012',
  stackName: 'local',
  parameters: {},
  physicalIds: {},
  conditions: {},
};
const aws = {
  endpoint: 'http://127.0.0.1:5000',
  region: 'us-east-1',
  accessKeyId: 'test',
  secretAccessKey: 'test',
};

const functionsOf = (template: Template) => localFunctions(template, { templateDir: '/app', stack, aws });

describe('localFunctions', () => {
  it('names every function setting it does not apply, and takes the reserved concurrency', () => {
    const template = {
      Resources: {
        Worker: {
          Type: 'AWS::Serverless::Function',
          Properties: {
            CodeUri: 'worker/',
            Handler: 'index.handler',
            Runtime: 'nodejs22.x',
            ReservedConcurrentExecutions: 3,
            Policies: ['AWSLambdaBasicExecutionRole'],
            VpcConfig: { SubnetIds: [] },
            ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
          },
        },
        Plain: {
          Type: 'AWS::Serverless::Function',
          Properties: {
            CodeUri: 'plain/',
            Handler: 'index.handler',
            Runtime: 'nodejs22.x',
            Description: 'x',
          },
        },
      },
    } as unknown as Template;

    const { specs, unsupported } = functionsOf(template);

    expect(unsupported).toEqual([
      'Resources.Worker: Policies, ProvisionedConcurrencyConfig, VpcConfig (no local effect)',
    ]);
    expect(specs.find((spec) => spec.logicalId === 'Worker')?.reservedConcurrency).toBe(3);
    expect(specs.find((spec) => spec.logicalId === 'Plain')?.reservedConcurrency).toBeUndefined();
  });
});
