import type { Template } from '@repo/sam-template/read-template';
import { describe, expect, it } from 'vitest';
import { functionRuntimes, localFunctions, RuntimeNotSupportedError } from '../src/functions.ts';

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

  it('runs each function on the Node.js of its Runtime and tells it which runtime it is on', () => {
    const template = {
      Globals: { Function: { Runtime: 'nodejs24.x' } },
      Resources: {
        Current: {
          Type: 'AWS::Serverless::Function',
          Properties: { CodeUri: 'current/', Handler: 'index.handler' },
        },
        Previous: {
          Type: 'AWS::Serverless::Function',
          Properties: { CodeUri: 'previous/', Handler: 'index.handler', Runtime: 'nodejs22.x' },
        },
      },
    } as unknown as Template;

    const { specs } = functionsOf(template);

    const current = specs.find((spec) => spec.logicalId === 'Current');
    const previous = specs.find((spec) => spec.logicalId === 'Previous');
    expect(current).toMatchObject({ runtime: 'nodejs24.x', node: { major: 24 } });
    expect(current?.environment.AWS_EXECUTION_ENV).toBe('AWS_Lambda_nodejs24.x');
    expect(previous).toMatchObject({ runtime: 'nodejs22.x', node: { major: 22 } });
    expect(previous?.environment.AWS_EXECUTION_ENV).toBe('AWS_Lambda_nodejs22.x');
    expect(current?.node.version).toMatch(/^24\.\d+\.\d+$/);
  });

  it('leaves out the compile cache the template names for the artifact under /var/task, and passes the rest', () => {
    const template = {
      Globals: {
        Function: {
          Runtime: 'nodejs24.x',
          RuntimeManagementConfig: { UpdateRuntimeOn: 'Auto' },
          Environment: {
            Variables: {
              NODE_OPTIONS: '--enable-source-maps',
              NODE_COMPILE_CACHE: '/var/task/.node-compile-cache',
              NODE_COMPILE_CACHE_PORTABLE: '1',
            },
          },
        },
      },
      Resources: {
        Api: { Type: 'AWS::Serverless::Function', Properties: { CodeUri: 'api/', Handler: 'index.handler' } },
      },
    } as unknown as Template;

    const { specs, unsupported } = functionsOf(template);

    expect(specs[0]?.environment).toMatchObject({ NODE_OPTIONS: '--enable-source-maps' });
    expect(Object.keys(specs[0]?.environment ?? {})).not.toContain('NODE_COMPILE_CACHE');
    expect(Object.keys(specs[0]?.environment ?? {})).not.toContain('NODE_COMPILE_CACHE_PORTABLE');
    expect(unsupported).toEqual([]);
  });

  it('refuses every function whose Runtime it cannot run, naming it, its runtime and what it runs', () => {
    const fn = (Runtime?: string) => ({
      Type: 'AWS::Serverless::Function',
      Properties: { CodeUri: 'f/', Handler: 'index.handler', ...(Runtime ? { Runtime } : {}) },
    });
    const template = {
      Resources: {
        Fine: fn('nodejs24.x'),
        Old: fn('nodejs20.x'),
        Python: fn('python3.13'),
        Future: fn('nodejs26.x'),
        Image: { ...fn(), Properties: { ...fn().Properties, PackageType: 'Image' } },
      },
    } as unknown as Template;

    const refusal = () => functionRuntimes(template);

    expect(refusal).toThrow(RuntimeNotSupportedError);
    expect(refusal).toThrow(
      [
        'Old: Runtime nodejs20.x cannot run locally: pnpm dev and pnpm invoke run nodejs22.x and nodejs24.x (tooling/node)',
        'Python: Runtime python3.13 cannot run locally: pnpm dev and pnpm invoke run nodejs22.x and nodejs24.x (tooling/node)',
        'Future: Runtime nodejs26.x cannot run locally: pnpm dev and pnpm invoke run nodejs22.x and nodejs24.x (tooling/node)',
        'Image: Runtime (none) cannot run locally: pnpm dev and pnpm invoke run nodejs22.x and nodejs24.x (tooling/node)',
      ].join('\n'),
    );
    expect(() => functionsOf(template)).toThrow(RuntimeNotSupportedError);
  });
});
