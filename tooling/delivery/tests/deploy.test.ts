import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findWorkspaceRoot, readTemplate, type Template } from '@repo/sam-template/read-template';
import { afterAll, describe, expect, it } from 'vitest';
import {
  affectedApps,
  composeAppDeploy,
  DeployError,
  functionsOf,
  ownerOf,
  referencesIn,
  resourcesByApp,
} from '../src/deploy.ts';

const root = findWorkspaceRoot();
const real = readTemplate(join(root, 'template.yaml'));
const apps = ['batch-worker', 'image-resizer', 'upload-processor', 'uploads-api', 'users-api'];

/** What `sam deploy` leaves in CloudFormation: the same template with every function's code in S3. */
function packaged(template: Template): Template {
  const deployed = structuredClone(template);
  for (const [logicalId, resource] of Object.entries(deployed.Resources)) {
    if (resource.Type === 'AWS::Serverless::Function') {
      resource.Properties = {
        ...resource.Properties,
        CodeUri: `s3://artifacts/lambda-monorepo-prod/${logicalId}-v1`,
      };
    }
  }
  return deployed;
}

const built = (logicalId: string) => `/repo/.aws-sam/deploy/x/build/${logicalId}/${logicalId}`;
const compose = (app: string, local: Template, deployed: Template | undefined) =>
  composeAppDeploy({ app, local, deployed, builtCodeUri: built, stackName: 'lambda-monorepo-prod' });

const functions = (template: Template) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Serverless::Function');

describe('ownership in template.yaml', () => {
  it('gives every function to the app in its CodeUri and leaves only shared resources to the platform', () => {
    const owned = resourcesByApp(real);
    expect([...owned.keys()].sort()).toEqual(apps);
    expect(functionsOf(real, 'users-api')).toEqual(['UsersApiFunction']);
    expect(functionsOf(real, 'batch-worker')).toEqual(['BatchWorkerFunction']);
    const platform = Object.keys(real.Resources).filter((id) => !ownerOf(real.Resources[id] as never));
    // The user pool too: both APIs' authorizers use it.
    expect(platform.sort()).toEqual([
      'AdminGroup',
      'AlarmTopic',
      'PipelineDashboard',
      'UploadsBucket',
      'UserPool',
      'UserPoolClient',
    ]);
  });

  it("keeps each app's resources to itself: they refer only to their own app's resources, the platform's and parameters", () => {
    const owner = new Map<string, string | undefined>(
      Object.entries(real.Resources).map(([id, resource]) => [id, ownerOf(resource)]),
    );
    const crossings: string[] = [];
    for (const [id, resource] of Object.entries(real.Resources)) {
      const app = owner.get(id);
      if (!app) continue;
      for (const target of referencesIn(resource.Properties ?? {})) {
        const other = owner.get(target);
        if (other && other !== app) crossings.push(`${id} (${app}) → ${target} (${other})`);
      }
    }
    expect(crossings).toEqual([]);
  });
});

describe('composing one app’s deploy', () => {
  it('ships the app’s resources from the working tree and every other function exactly as deployed', () => {
    const deployed = packaged(real);
    const local = structuredClone(real);
    // users-api's change, another team's unreleased change, and a platform change — all in the tree.
    Object.assign(local.Resources.UsersApiFunction?.Properties ?? {}, { MemorySize: 1024 });
    Object.assign(local.Resources.ImageResizerFunction?.Properties ?? {}, { MemorySize: 3008 });
    Object.assign(local.Globals?.Function ?? {}, { Timeout: 29 });

    const { template, shipped, removed, notShipped } = compose('users-api', local, deployed);

    expect(shipped).toEqual(resourcesByApp(real).get('users-api'));
    expect(removed).toEqual([]);
    const users = template.Resources.UsersApiFunction;
    expect(users?.Properties).toMatchObject({ MemorySize: 1024, CodeUri: built('UsersApiFunction') });
    expect(users?.Metadata).toEqual({ App: 'users-api' });
    // No other function's code comes from this machine: they keep their deployed S3 artifacts.
    for (const [id, resource] of functions(template)) {
      if (id === 'UsersApiFunction') continue;
      expect(resource.Properties?.CodeUri, id).toBe(`s3://artifacts/lambda-monorepo-prod/${id}-v1`);
    }
    expect(template.Resources.ImageResizerFunction).toEqual(deployed.Resources.ImageResizerFunction);
    expect(template.Globals).toEqual(deployed.Globals);
    expect(notShipped).toEqual(
      expect.arrayContaining([
        'Globals (platform; ships with `pnpm run deploy --all`)',
        'ImageResizerFunction (image-resizer; ships with `pnpm run deploy image-resizer`)',
      ]),
    );
    expect(notShipped.join('\n')).not.toContain('UsersApi');
  });

  it('names the other functions whose code is not shipped, without calling their definitions changed', () => {
    const { notShipped } = compose('batch-worker', real, packaged(real));
    expect(notShipped).toEqual([
      "UsersApiFunction's code (users-api; ships with `pnpm run deploy users-api`)",
      "UploadsApiFunction's code (uploads-api; ships with `pnpm run deploy uploads-api`)",
      "ImageResizerFunction's code (image-resizer; ships with `pnpm run deploy image-resizer`)",
      "UploadProcessorFunction's code (upload-processor; ships with `pnpm run deploy upload-processor`)",
    ]);
  });

  it('adds a new resource of the app and deletes one the app no longer has, with its outputs', () => {
    const deployed = packaged(real);
    const local = structuredClone(real);
    const alarm = structuredClone(real.Resources.ResizeJobsQueueAgeAlarm);
    if (!alarm) throw new Error('template.yaml has no ResizeJobsQueueAgeAlarm');
    local.Resources.ResizeJobsHighWaterAlarm = { ...alarm, Metadata: { App: 'batch-worker' } };
    delete local.Resources.ResizeJobsDlqAgeAlarm;

    const { template, shipped, removed } = compose('batch-worker', local, deployed);

    expect(shipped).toContain('ResizeJobsHighWaterAlarm');
    expect(template.Resources.ResizeJobsHighWaterAlarm).toBeDefined();
    expect(removed).toEqual(['ResizeJobsDlqAgeAlarm']);
    expect(template.Resources.ResizeJobsDlqAgeAlarm).toBeUndefined();
  });

  it('refuses when the app’s change needs a shared resource that is not deployed yet', () => {
    const local = structuredClone(real);
    local.Resources.SharedKey = { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: {} } };
    Object.assign(local.Resources.UsersTable?.Properties ?? {}, {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { Ref: 'SharedKey' } },
    });
    expect(() => compose('users-api', local, packaged(real))).toThrow(
      /UsersTable refers to SharedKey, which the stack does not have yet.*pnpm run deploy --all/,
    );
  });

  it('refuses to delete a resource that a shared one still uses', () => {
    const local = structuredClone(real);
    delete local.Resources.UsersApiFunctionErrorsAlarm;
    const deployed = packaged(real);
    // The deployed dashboard (platform) shows that alarm.
    (deployed.Resources.PipelineDashboard as { Properties: Record<string, unknown> }).Properties.Extra = {
      Ref: 'UsersApiFunctionErrorsAlarm',
    };
    expect(() => compose('users-api', local, deployed)).toThrow(
      /PipelineDashboard \(not users-api's\) still refers to UsersApiFunctionErrorsAlarm/,
    );
  });

  it('sends a first deploy to the full deploy, and an unknown app to the list of apps', () => {
    expect(() => compose('users-api', real, undefined)).toThrow(/does not exist yet.*pnpm run deploy --all/);
    expect(() => compose('billing', real, packaged(real))).toThrow(DeployError);
    expect(() => compose('billing', real, packaged(real))).toThrow(
      /no resources of billing \(apps: users-api/,
    );
  });
});

describe('affected apps', () => {
  it('are the apps turbo names plus those whose own resources changed; shared changes flag the platform', () => {
    const base = structuredClone(real);
    const current = structuredClone(real);
    Object.assign(current.Resources.ResizeJobsQueue?.Properties ?? {}, { VisibilityTimeout: 900 });
    expect(
      affectedApps({ current, base, changedWorkspaces: ['apps/users-api', 'packages/logging'] }),
    ).toEqual({
      apps: ['batch-worker', 'users-api'],
      platform: false,
    });
    Object.assign(current.Resources.UploadsBucket?.Properties ?? {}, { Tags: [{ Key: 'a', Value: 'b' }] });
    expect(affectedApps({ current, base, changedWorkspaces: [] })).toEqual({
      apps: ['batch-worker'],
      platform: true,
    });
    expect(affectedApps({ current, base: undefined, changedWorkspaces: [] })).toEqual({
      apps,
      platform: true,
    });
  });
});

describe('pnpm run deploy (dry run)', () => {
  const cli = fileURLToPath(new URL('../src/deploy-cli.ts', import.meta.url));
  const deploy = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, encoding: 'utf8' });
  const scratch: string[] = [];
  afterAll(() => {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the SAM commands for one function and writes the composed template', () => {
    // Prepare: the stack's files copied to a temp folder, since the CLI writes the composed template
    // under the template's folder (.aws-sam/deploy/…): in the repository, a real deploy or another
    // run of this test could be reading or writing that same file.
    const stack = mkdtempSync(join(tmpdir(), 'deploy-'));
    scratch.push(stack);
    for (const file of ['template.yaml', 'samconfig.toml']) copyFileSync(join(root, file), join(stack, file));
    const deployedFile = join(stack, 'deployed.json');
    writeFileSync(deployedFile, JSON.stringify(packaged(real)));
    const templateFile = join(stack, 'template.yaml');

    // Act
    const result = deploy(
      'users-api',
      '--stage',
      'prod',
      '--dry-run',
      '--deployed-template',
      deployedFile,
      '--template',
      templateFile,
    );

    // Assess
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stderr.split('\n');
    const build = join(stack, '.aws-sam/deploy/users-api/build');
    const config = `--config-file ${join(stack, 'samconfig.toml')} --config-env prod`;
    expect(lines).toContain(
      `$ sam build UsersApiFunction --template-file ${templateFile} --build-dir ${build}/UsersApiFunction ${config}`,
    );
    const composed = join(stack, '.aws-sam/deploy/users-api/template.prod.json');
    expect(lines).toContain(`$ sam deploy --template-file ${composed} ${config}`);
    expect(result.stderr).toMatch(
      /users-api → lambda-monorepo-prod: ships UsersTable, UsersApi, UsersApiFunction/,
    );
    const template = JSON.parse(readFileSync(composed, 'utf8')) as Template;
    expect(template.Resources.UsersApiFunction?.Properties?.CodeUri).toBe(
      `${build}/UsersApiFunction/UsersApiFunction`,
    );
    expect(template.Resources.BatchWorkerFunction?.Properties?.CodeUri).toMatch(/^s3:\/\//);
    // What `sam deploy` gets is a valid SAM template (cfn-lint applies the SAM transform).
    const lint = spawnSync('cfn-lint', [composed], { encoding: 'utf8' });
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
  });

  it('prints the whole-stack build and deploy for --all', () => {
    const role = 'arn:aws:iam::123456789012:role/lambda-monorepo-github-CloudFormationExecutionRole';
    const result = deploy(
      '--all',
      '--stage',
      'dev',
      '--dry-run',
      '--role-arn',
      role,
      '--no-confirm-changeset',
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `$ sam build --template-file ${join(root, 'template.yaml')} --config-file`,
    );
    expect(result.stderr).toContain(
      `$ sam deploy --config-file ${join(root, 'samconfig.toml')} --config-env dev --role-arn ${role} --no-confirm-changeset`,
    );
  });

  it('answers usage mistakes with exit 2 and the usage', () => {
    for (const args of [['users-api'], ['billing', '--stage', 'prod'], ['users-api', '--stage', 'qa'], []]) {
      const result = deploy(...args, '--dry-run');
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('usage: pnpm run deploy');
    }
  });
});
