/** One AWS SDK v3 command the code sends, as the source analysis found it. */
export interface SdkCommand {
  /** The npm package that exports it, e.g. `@aws-sdk/client-s3`. */
  packageName: string;
  /** The exported name, e.g. `GetObjectCommand`. */
  name: string;
  /**
   * Top-level keys of its input when that is an object literal; `complete` is false when a spread or a
   * computed key may add others. Undefined when the input is not a literal (nothing is known).
   */
  input?: { keys: readonly string[]; complete: boolean };
  /** For DynamoDB transactions: the kinds of item in a literal `TransactItems` (`Put`, `Update` …). */
  transactItems?: { kinds: readonly string[]; complete: boolean };
}

/** The IAM actions a command needs, or why the check cannot tell. */
export type ActionMapping =
  | { actions: string[]; because?: string }
  | {
      /** Why there is no mapping; the check fails with it. */
      unmapped: string;
    };

interface Service {
  /** IAM service prefix, e.g. `s3`. */
  prefix: string;
  /**
   * Operations whose IAM actions differ from `<prefix>:<Operation>`; `null` marks one whose actions
   * cannot be derived from the command alone.
   */
  special?: Record<string, string[] | null>;
  /** When true, only operations listed in `special` are known (the service's naming is too irregular). */
  explicitOnly?: boolean;
}

// S3's actions follow its operations too loosely for a default: only these are known.
const s3: Service = {
  prefix: 's3',
  explicitOnly: true,
  special: {
    GetObject: ['s3:GetObject'],
    HeadObject: ['s3:GetObject'],
    PutObject: ['s3:PutObject'],
    DeleteObject: ['s3:DeleteObject'],
    DeleteObjects: ['s3:DeleteObject'],
    CopyObject: ['s3:GetObject', 's3:PutObject'],
    ListObjects: ['s3:ListBucket'],
    ListObjectsV2: ['s3:ListBucket'],
    ListObjectVersions: ['s3:ListBucketVersions'],
    HeadBucket: ['s3:ListBucket'],
    ListBuckets: ['s3:ListAllMyBuckets'],
    GetBucketLocation: ['s3:GetBucketLocation'],
    GetObjectTagging: ['s3:GetObjectTagging'],
    PutObjectTagging: ['s3:PutObjectTagging'],
    DeleteObjectTagging: ['s3:DeleteObjectTagging'],
    CreateMultipartUpload: ['s3:PutObject'],
    UploadPart: ['s3:PutObject'],
    CompleteMultipartUpload: ['s3:PutObject'],
    UploadPartCopy: ['s3:GetObject', 's3:PutObject'],
    AbortMultipartUpload: ['s3:AbortMultipartUpload'],
    ListParts: ['s3:ListMultipartUploadParts'],
    ListMultipartUploads: ['s3:ListBucketMultipartUploads'],
    RestoreObject: ['s3:RestoreObject'],
  },
};

/** S3 operations that need a `…Version…` action as well when they name a `VersionId`. */
const s3VersionedActions: Record<string, string> = {
  GetObject: 's3:GetObjectVersion',
  HeadObject: 's3:GetObjectVersion',
  DeleteObject: 's3:DeleteObjectVersion',
  GetObjectTagging: 's3:GetObjectVersionTagging',
  PutObjectTagging: 's3:PutObjectVersionTagging',
  DeleteObjectTagging: 's3:DeleteObjectVersionTagging',
};

// PartiQL statements need dynamodb:PartiQLSelect/Insert/Update/Delete according to the statement text.
const partiQl = {
  ExecuteStatement: null,
  BatchExecuteStatement: null,
  ExecuteTransaction: null,
};

// Transactions have no IAM action of their own: each item is authorised as the operation it performs
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
const transactItemActions: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

const dynamodb: Service = {
  prefix: 'dynamodb',
  special: { ...partiQl, TransactGetItems: ['dynamodb:GetItem'], TransactWriteItems: null },
};

// The document client's commands wrap the low-level operations and need their actions.
const dynamodbDocument: Service = {
  prefix: 'dynamodb',
  explicitOnly: true,
  special: {
    Put: ['dynamodb:PutItem'],
    Get: ['dynamodb:GetItem'],
    Update: ['dynamodb:UpdateItem'],
    Delete: ['dynamodb:DeleteItem'],
    Query: ['dynamodb:Query'],
    Scan: ['dynamodb:Scan'],
    BatchGet: ['dynamodb:BatchGetItem'],
    BatchWrite: ['dynamodb:BatchWriteItem'],
    TransactGet: ['dynamodb:GetItem'],
    TransactWrite: null,
    ...partiQl,
  },
};

const servicesByPackage: Record<string, Service> = {
  '@aws-sdk/client-s3': s3,
  '@aws-sdk/client-dynamodb': dynamodb,
  '@aws-sdk/lib-dynamodb': dynamodbDocument,
  '@aws-sdk/client-sns': { prefix: 'sns', special: { PublishBatch: ['sns:Publish'] } },
  '@aws-sdk/client-sqs': {
    prefix: 'sqs',
    special: {
      SendMessageBatch: ['sqs:SendMessage'],
      DeleteMessageBatch: ['sqs:DeleteMessage'],
      ChangeMessageVisibilityBatch: ['sqs:ChangeMessageVisibility'],
    },
  },
  '@aws-sdk/client-eventbridge': { prefix: 'events' },
  '@aws-sdk/client-lambda': {
    prefix: 'lambda',
    special: {
      Invoke: ['lambda:InvokeFunction'],
      InvokeAsync: ['lambda:InvokeFunction'],
      InvokeWithResponseStream: ['lambda:InvokeFunction'],
    },
  },
  '@aws-sdk/client-sfn': { prefix: 'states' },
  '@aws-sdk/client-ssm': { prefix: 'ssm' },
  '@aws-sdk/client-secrets-manager': { prefix: 'secretsmanager' },
  '@aws-sdk/client-kms': { prefix: 'kms' },
  '@aws-sdk/client-kinesis': { prefix: 'kinesis' },
  '@aws-sdk/client-firehose': { prefix: 'firehose' },
  '@aws-sdk/client-cloudwatch': { prefix: 'cloudwatch' },
  '@aws-sdk/client-cloudwatch-logs': { prefix: 'logs' },
  '@aws-sdk/client-sesv2': { prefix: 'ses' },
};

/** Where a missing mapping is added; every "no mapping" message names it. */
export const mappingHome = 'tooling/contract/src/iam-actions.ts';

/** The IAM service prefix of a client package (`@aws-sdk/lib-dynamodb` → `dynamodb`), if known. */
export function servicePrefixOf(packageName: string): string | undefined {
  return servicesByPackage[packageName]?.prefix;
}

/** The IAM actions `command` needs: `<prefix>:<Operation>` unless its service says otherwise. */
export function iamActionsFor(command: SdkCommand): ActionMapping {
  const where = `${command.name} (${command.packageName})`;
  const service = servicesByPackage[command.packageName];
  if (!service) {
    return { unmapped: `no IAM mapping for ${where}: unknown service package; add one in ${mappingHome}` };
  }
  if (!command.name.endsWith('Command')) {
    return { unmapped: `no IAM mapping for ${where}: not a command; add one in ${mappingHome}` };
  }
  const operation = command.name.slice(0, -'Command'.length);
  if (service.prefix === 'dynamodb' && ['TransactWriteItems', 'TransactWrite'].includes(operation)) {
    return transactWrite(command, where);
  }
  const special = service.special?.[operation];
  if (special === null) {
    return {
      unmapped: `no IAM mapping for ${where}: its actions depend on the statement it runs; add one in ${mappingHome}`,
    };
  }
  if (special === undefined && service.explicitOnly) {
    return { unmapped: `no IAM mapping for ${where}; add one in ${mappingHome}` };
  }
  const actions = special ? [...special] : [`${service.prefix}:${operation}`];
  if (service === s3) {
    const versioned = s3VersionedActions[operation];
    const versionId = namesVersionId(command);
    if (versioned && versionId) {
      return { actions: [...actions, versioned], because: versionId };
    }
  }
  return { actions };
}

/** Why an S3 command may name a version (undefined when it cannot). */
function namesVersionId(command: SdkCommand): string | undefined {
  if (!command.input) return 'its input is not an object literal, so it may set VersionId';
  if (command.input.keys.includes('VersionId')) return 'it sets VersionId';
  if (!command.input.complete) return 'its input spreads other values, which may set VersionId';
  return undefined;
}

function transactWrite(command: SdkCommand, where: string): ActionMapping {
  const items = command.transactItems;
  if (!items?.complete) {
    return {
      unmapped: `no IAM mapping for ${where}: its actions follow the kinds of item in TransactItems, which is not an array literal of { Put | Update | Delete | ConditionCheck } objects; add one in ${mappingHome}`,
    };
  }
  const unknown = items.kinds.filter((kind) => !transactItemActions[kind]);
  if (unknown.length > 0) {
    return { unmapped: `no IAM mapping for ${where} items ${unknown.join(', ')}; add one in ${mappingHome}` };
  }
  return { actions: [...new Set(items.kinds.map((kind) => transactItemActions[kind] as string))].sort() };
}
