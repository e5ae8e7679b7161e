// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation's Fn::Sub syntax.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWorkspaceRoot, readTemplate, type Template } from '@repo/sam-template/read-template';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppCode } from '../src/check.ts';
import { type ContractReport, loadAppCode, runContractCheck } from '../src/load-facts.ts';

// Needs the apps built (`pnpm turbo run build`): the check reads each bundle's dist/meta.json.
const root = findWorkspaceRoot();
const realTemplate = join(root, 'template.yaml');
const real = readTemplate(realTemplate);
const scratch = mkdtempSync(join(tmpdir(), 'contract-'));
let code: Map<string, AppCode | { app: string; problem: string }>;
let written = 0;

beforeAll(async () => {
  const appDirs = Object.values(real.Resources)
    .filter((resource) => resource.Type === 'AWS::Serverless::Function')
    .map((resource) => join(root, String(resource.Properties?.CodeUri)));
  // Read once: every broken template below is checked against the same code.
  code = await loadAppCode(appDirs, root);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: the tests reach deep into template properties to break them.
type Properties = Record<string, any>;

/**
 * A copy of the real template, changed by `edit`, written to a temp folder. CodeUri paths become
 * absolute so that the copy still names the real apps.
 */
function brokenTemplate(edit: (fn: (logicalId: string) => Properties, template: Template) => void): string {
  const copy = structuredClone(real);
  for (const resource of Object.values(copy.Resources)) {
    if (resource.Type === 'AWS::Serverless::Function' && resource.Properties) {
      resource.Properties.CodeUri = join(root, String(resource.Properties.CodeUri));
    }
  }
  edit((logicalId) => copy.Resources[logicalId]?.Properties as Properties, copy);
  const path = join(scratch, `template-${written++}.json`);
  writeFileSync(path, JSON.stringify(copy, null, 2));
  return path;
}

const failuresOf = (report: ContractReport) => [
  ...report.failures,
  ...report.results.flatMap((result) => result.failures),
];

async function check(path: string): Promise<string[]> {
  return failuresOf(await runContractCheck(path, code));
}

describe('the contract check', () => {
  it('passes on the real template', async () => {
    // Act
    const report = await runContractCheck(realTemplate, code);

    // Assess
    expect(failuresOf(report)).toEqual([]);
    expect(report.results.map((result) => result.logicalId)).toEqual([
      'UsersApiFunction',
      'UploadsApiFunction',
      'ImageResizerFunction',
      'UploadProcessorFunction',
      'BatchWorkerFunction',
    ]);
    expect(report.results.map((result) => result.warnings)).toEqual([[], [], [], [], []]);
  });

  describe('IAM', () => {
    it('fails when ImageResizerFunction loses s3:PutObject, naming the function, the action and the fix', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        fn('ImageResizerFunction').Policies[0].Statement.splice(1, 1);
      });

      // The line of the send the check must point at, wherever it is in the file today.
      const source = 'packages/image-jobs/src/resize-upload.ts';
      const line =
        readFileSync(join(root, source), 'utf8')
          .split('\n')
          .findIndex((text) => text.includes('new PutObjectCommand(')) + 1;

      // Act
      const failures = await check(path);

      // Assess
      expect(line).toBeGreaterThan(0);
      expect(failures).toEqual([
        `ImageResizerFunction (apps/image-resizer): sends s3:PutObject (PutObjectCommand in ${source}:${line}) but no policy allows it — add to Policies: - Statement: [{ Effect: Allow, Action: s3:PutObject, Resource: !Sub arn:\${AWS::Partition}:s3:::\${UploadsBucket}/* }] (or S3WritePolicy: { BucketName: !Ref UploadsBucket })`,
      ]);
    });

    it('fails when UploadProcessorFunction loses sns:Publish, suggesting the statement or the SAM policy template', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        fn('UploadProcessorFunction').Policies[0].Statement.splice(2, 1);
      });

      // Act
      const failures = await check(path);

      // Assess
      expect(failures).toEqual([
        expect.stringMatching(
          /^UploadProcessorFunction \(apps\/upload-processor\): sends sns:Publish \(PublishCommand in apps\/upload-processor\/src\/record-upload\.ts:\d+\) but no policy allows it/,
        ),
      ]);
      expect(failures[0]).toContain(
        '— add to Policies: - Statement: [{ Effect: Allow, Action: sns:Publish, Resource: !Ref UploadsTopic }] (or SNSPublishMessagePolicy: { TopicName: !GetAtt UploadsTopic.TopicName })',
      );
    });

    it('fails when s3:GetObjectVersion goes, because upload-processor reads objects by VersionId', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        fn('UploadProcessorFunction').Policies[0].Statement[0].Action = ['s3:GetObject'];
      });

      // Act
      const failures = await check(path);

      // Assess
      expect(failures).toEqual([expect.stringContaining('sends s3:GetObjectVersion (GetObjectCommand in')]);
      expect(failures[0]).toContain('because it sets VersionId');
    });

    it('passes when SAM policy templates grant the actions', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        const uploads = fn('UploadProcessorFunction').Policies;
        uploads[0].Statement.splice(2, 1);
        uploads.push({
          SNSPublishMessagePolicy: { TopicName: { 'Fn::GetAtt': ['UploadsTopic', 'TopicName'] } },
        });
        fn('UsersApiFunction').Policies = [{ DynamoDBCrudPolicy: { TableName: { Ref: 'UsersTable' } } }];
        fn('BatchWorkerFunction').Policies = [{ S3CrudPolicy: { BucketName: { Ref: 'UploadsBucket' } } }];
      });

      // Act & Assess
      expect(await check(path)).toEqual([]);
    });

    it('passes when a wildcard grants the actions', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        fn('ImageResizerFunction').Policies = [
          { Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
        ];
        fn('UploadProcessorFunction').Policies[0].Statement[0].Action = 's3:Get*';
      });

      // Act & Assess
      expect(await check(path)).toEqual([]);
    });

    it('fails when the action is allowed on another resource than the one the environment names', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        fn('UploadProcessorFunction').Policies[0].Statement[2].Resource = { Ref: 'AlarmTopic' };
      });

      // Act
      const failures = await check(path);

      // Assess
      expect(failures).toEqual([
        expect.stringContaining(
          'sends sns:Publish (PublishCommand in apps/upload-processor/src/record-upload.ts',
        ),
      ]);
      expect(failures[0]).toContain(
        'to UploadsTopic (its UPLOADS_TOPIC_ARN), but the statements allowing sns:Publish cover only AlarmTopic — add !Ref UploadsTopic to their Resource',
      );
    });

    it('fails when a Deny overrides the Allow', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        fn('BatchWorkerFunction').Policies.push({
          Statement: [{ Effect: 'Deny', Action: 's3:PutObject', Resource: '*' }],
        });
      });

      // Act & Assess
      expect(await check(path)).toEqual([
        expect.stringContaining('BatchWorkerFunction (apps/batch-worker): sends s3:PutObject'),
      ]);
    });
  });

  describe('environment', () => {
    it('fails when UPLOADS_TABLE_NAME is removed, naming it', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        delete fn('UploadProcessorFunction').Environment.Variables.UPLOADS_TABLE_NAME;
      });

      // Act & Assess
      expect(await check(path)).toEqual([
        'UploadProcessorFunction (apps/upload-processor): requires UPLOADS_TABLE_NAME (its config schema has no default) but the template does not set it — add to Environment.Variables: UPLOADS_TABLE_NAME: <value>',
      ]);
    });

    it('fails a required variable whose value is empty at the parameter defaults, and a value the schema rejects', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        fn('UploadProcessorFunction').Environment.Variables.UPLOADS_TOPIC_ARN = { Ref: 'AlarmTopicArn' };
        fn('UsersApiFunction').Environment.Variables.MAX_BODY_BYTES = '16 KB';
      });

      // Act & Assess
      expect(await check(path)).toEqual([
        expect.stringContaining(
          'UsersApiFunction (apps/users-api): sets MAX_BODY_BYTES to "16 KB", which its config schema rejects',
        ),
        'UploadProcessorFunction (apps/upload-processor): requires UPLOADS_TOPIC_ARN but the template sets it to an empty value (AlarmTopicArn at its default) — give it a value',
      ]);
    });

    it('counts a variable set in Globals', async () => {
      // Prepare
      const path = brokenTemplate((fn, template) => {
        const variables = fn('UsersApiFunction').Environment.Variables;
        const globals = template.Globals as Properties;
        globals.Function.Environment.Variables.USERS_TABLE_NAME = variables.USERS_TABLE_NAME;
        delete variables.USERS_TABLE_NAME;
      });

      // Act & Assess
      expect(await check(path)).toEqual([]);
    });
  });

  describe('event sources', () => {
    it("fails when the batch worker's SQS event is removed", async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        delete fn('BatchWorkerFunction').Events.ResizeJobs;
      });

      // Act & Assess
      expect(await check(path)).toEqual([
        expect.stringMatching(
          /^BatchWorkerFunction \(apps\/batch-worker\): its handler accepts SQS batches \(.*apps\/batch-worker\/src\/handler\.ts\) but no such event source is wired — add to Events: Jobs: \{ Type: SQS/,
        ),
      ]);
    });

    it('fails when ReportBatchItemFailures is removed', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        delete fn('BatchWorkerFunction').Events.ResizeJobs.Properties.FunctionResponseTypes;
      });

      // Act & Assess
      expect(await check(path)).toEqual([
        expect.stringContaining(
          'BatchWorkerFunction (apps/batch-worker): its handler returns batchItemFailures (@aws-lambda-powertools/batch processPartialResponse in apps/batch-worker/src/handler.ts) but SQS event ResizeJobs lacks FunctionResponseTypes: [ReportBatchItemFailures]',
        ),
      ]);
    });

    it('fails when the DELETE /users/{id} route is no longer routed to users-api', async () => {
      // Prepare: without UserOtherMethods (ANY /users/{id}) too, since that event still routes DELETE there.
      const path = brokenTemplate((fn) => {
        delete fn('UsersApiFunction').Events.DeleteUser;
        delete fn('UsersApiFunction').Events.UserOtherMethods;
      });

      // Act & Assess
      expect(await check(path)).toEqual([
        'UsersApiFunction (apps/users-api): its handler routes DELETE /users/{id} (apps/users-api/src/handler.ts) but no Api event sends that request to it — API Gateway would answer 403 Missing Authentication Token; add to Events: DeleteUsersId: { Type: Api, Properties: { RestApiId: !Ref UsersApi, Path: /users/{id}, Method: DELETE } }',
      ]);
    });

    it('fails every route that reaches users-api without an authorizer, but CORS preflight', async () => {
      // Prepare: the API loses its default authorizer
      const path = brokenTemplate((_, template) => {
        const api = template.Resources.UsersApi?.Properties as Properties;
        delete api.Auth;
      });

      // Act
      const failures = await check(path);

      // Assess: each of the 8 methods SAM wires to the function, none of the OPTIONS preflights
      expect(failures).toHaveLength(8);
      expect(failures).toContain(
        "UsersApiFunction (apps/users-api): GET /users/{id} on UsersApi reaches it without an authorizer — anyone can call it; give the API an Auth.DefaultAuthorizer (with AddDefaultAuthorizerToCorsPreflight: false), or name one in the event's Auth.Authorizer instead of NONE",
      );
      expect(failures.join('\n')).not.toMatch(/OPTIONS/);
    });

    it('fails one route an event opens with Auth.Authorizer: NONE', async () => {
      const path = brokenTemplate((fn) => {
        const event = fn('UsersApiFunction').Events.GetUser as { Properties: Properties };
        event.Properties.Auth = { Authorizer: 'NONE' };
      });

      expect(await check(path)).toEqual([
        expect.stringMatching(
          /^UsersApiFunction \(apps\/users-api\): GET \/users\/\{id\} on UsersApi reaches it without an authorizer/,
        ),
      ]);
    });

    it('passes without DeleteUser while ANY /users/{id} still routes DELETE to the function', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        delete fn('UsersApiFunction').Events.DeleteUser;
      });

      // Act & Assess
      expect(await check(path)).toEqual([]);
    });

    it('fails an Api event for a route the handler does not have', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        fn('UsersApiFunction').Events.PatchUser = {
          Type: 'Api',
          Properties: { RestApiId: { Ref: 'UsersApi' }, Path: '/users/{id}', Method: 'PATCH' },
        };
      });

      // Act & Assess
      expect(await check(path)).toEqual([
        'UsersApiFunction (apps/users-api): Api event PatchUser (PATCH /users/{id}) sends PATCH /users/{id} to it, but its handler has no such route (apps/users-api/src/handler.ts) — remove the event, or add the route',
      ]);
    });

    it('fails when the image resizer loses its EventBridge rule, or gets an event it cannot parse', async () => {
      // Prepare
      const path = brokenTemplate((fn) => {
        delete fn('ImageResizerFunction').Events.ImageUploaded;
        fn('ImageResizerFunction').Events.Jobs = {
          Type: 'SQS',
          Properties: { Queue: { 'Fn::GetAtt': ['ResizeJobsQueue', 'Arn'] } },
        };
      });

      // Act & Assess
      expect(await check(path)).toEqual([
        expect.stringContaining(
          'ImageResizerFunction (apps/image-resizer): its handler accepts S3 "Object Created" events (EventBridge or S3 notifications) (@repo/events/s3 s3ObjectEventSchema in apps/image-resizer/src/handler.ts) but no such event source is wired',
        ),
        expect.stringContaining(
          'ImageResizerFunction (apps/image-resizer): SQS event Jobs is wired to it, but its handler does not accept sqs events',
        ),
      ]);
    });

    it('accepts an S3 notification event in place of the EventBridge rule', async () => {
      // Prepare
      const path = brokenTemplate((fn, template) => {
        delete fn('UploadProcessorFunction').Events.ObjectUploaded;
        fn('UploadProcessorFunction').Events.ObjectUploaded = {
          Type: 'S3',
          Properties: { Bucket: { Ref: 'UploadsBucket' }, Events: 's3:ObjectCreated:*' },
        };
        // SAM wires S3 events through the bucket's own notification configuration.
        delete (template.Resources as Properties).UploadsBucket.Properties.NotificationConfiguration;
      });

      // Act & Assess
      expect(await check(path)).toEqual([]);
    });
  });

  it('fails a function whose app is not built, with how to build it', async () => {
    // Prepare
    const app = join(scratch, 'unbuilt-app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{}');

    // Act
    const loaded = await loadAppCode([app], root);

    // Assess
    expect(existsSync(join(app, 'dist'))).toBe(false);
    expect(loaded.get(app)).toEqual({
      app: expect.any(String),
      problem: expect.stringContaining('run pnpm build first'),
    });
  });
});

describe('pnpm check:contract (cli.ts)', () => {
  // The root's tsx, as the root script runs it: npx would add a process start and print whatever npm
  // has to say about this machine's npm config on stderr. The timeout bounds only a hung check.
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  const cli = (...args: string[]) => {
    const result = spawnSync(tsx, [join(import.meta.dirname, '..', 'src', 'cli.ts'), ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
    });
    if (result.error) throw new Error(`${tsx} src/cli.ts did not finish: ${result.error.message}`);
    return result;
  };

  it('prints one line per function and exits 0 on the real template', () => {
    // Act
    const result = cli();

    // Assess
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^✓ UsersApiFunction \(apps\/users-api\): env: .*; IAM: 5 commands → .*; events: .*$/m,
    );
    expect(result.stdout).toMatch(/^contract: 5 functions match template\.yaml \(\d+\.\d s\)$/m);
  });

  it('prints the failure and exits 1 on a broken template', () => {
    // Prepare
    const path = brokenTemplate((fn) => {
      delete fn('UploadProcessorFunction').Environment.Variables.UPLOADS_TABLE_NAME;
    });

    // Act
    const result = cli('--template', path);

    // Assess
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      '✗ UploadProcessorFunction (apps/upload-processor): requires UPLOADS_TABLE_NAME',
    );
    expect(result.stdout).toMatch(/^contract: 1 failure in 5 functions of /m);
  });
});
