// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation's Fn::Sub syntax.

import { intrinsic, isRecord, referencedIds } from '@repo/sam-template/template-values';
import { asList, type CfnTemplate } from './cloudformation.ts';

/** One IAM policy statement granted to a function's role, normalised. */
export interface PolicyStatement {
  effect: 'Allow' | 'Deny';
  /** `Action` patterns; absent when the statement uses `NotAction`. */
  actions?: string[];
  notActions?: string[];
  /** `Resource` values (strings or intrinsics); empty with `NotResource`. */
  resources: unknown[];
  notResource: boolean;
  /** Has an IAM `Condition`. */
  hasCondition: boolean;
  /** Sits under a CloudFormation `Fn::If`: present in some deployments only. */
  conditional: boolean;
  /** The policy it comes from (inline policy name, or managed policy logical id). */
  source: string;
}

/** An AWS managed policy attached to the role. */
export interface ManagedPolicy {
  name: string;
  /** Its documented actions (on every resource); undefined when this check does not know the policy. */
  actions?: readonly string[];
  conditional: boolean;
}

/** Everything a function's role is granted in the template. */
export interface RolePermissions {
  roleId: string;
  statements: PolicyStatement[];
  managed: ManagedPolicy[];
  /** What the check could not take into account. */
  notes: string[];
}

const logs = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];

/** AWS managed policies whose actions the check knows (all granted on `*`). */
export const knownManagedPolicies: Record<string, readonly string[]> = {
  AWSLambdaBasicExecutionRole: logs,
  AWSXrayWriteOnlyAccess: [
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    'xray:GetSamplingStatisticSummaries',
  ],
  AWSLambdaSQSQueueExecutionRole: [
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    ...logs,
  ],
  AWSLambdaDynamoDBExecutionRole: [
    'dynamodb:DescribeStream',
    'dynamodb:GetRecords',
    'dynamodb:GetShardIterator',
    'dynamodb:ListStreams',
    ...logs,
  ],
  AWSLambdaKinesisExecutionRole: [
    'kinesis:DescribeStream',
    'kinesis:DescribeStreamSummary',
    'kinesis:GetRecords',
    'kinesis:GetShardIterator',
    'kinesis:ListShards',
    'kinesis:ListStreams',
    'kinesis:SubscribeToShard',
    ...logs,
  ],
  AWSLambdaVPCAccessExecutionRole: [
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
    ...logs,
  ],
  AWSLambdaRole: ['lambda:InvokeFunction'],
  AmazonS3ReadOnlyAccess: [
    's3:Get*',
    's3:List*',
    's3:Describe*',
    's3-object-lambda:Get*',
    's3-object-lambda:List*',
  ],
};

/**
 * The permissions of a function's role in a transformed template: `Role` followed to its
 * `AWS::IAM::Role`, with the role's inline policies, the `AWS::IAM::Policy`/`RolePolicy`/`ManagedPolicy`
 * resources attached to it, and its AWS managed policies.
 */
export function rolePermissions(
  template: CfnTemplate,
  functionId: string,
): RolePermissions | { problem: string } {
  const fn = template.Resources[functionId];
  const roleIds = [...referencedIds(fn?.Properties?.Role)];
  const [roleId] = roleIds;
  const role = roleId === undefined ? undefined : template.Resources[roleId];
  if (roleIds.length !== 1 || roleId === undefined || role?.Type !== 'AWS::IAM::Role') {
    return {
      problem: `its Role (${JSON.stringify(fn?.Properties?.Role)}) is not an AWS::IAM::Role in this template, so its permissions cannot be checked`,
    };
  }
  const permissions: RolePermissions = { roleId, statements: [], managed: [], notes: [] };
  for (const policy of asList(role.Properties?.Policies)) {
    forEachBranch(policy, false, (document, conditional) => {
      if (!isRecord(document)) return;
      const source =
        typeof document.PolicyName === 'string' ? document.PolicyName : `${roleId} inline policy`;
      permissions.statements.push(...statementsOf(document.PolicyDocument, source, conditional));
    });
  }
  for (const arn of asList(role.Properties?.ManagedPolicyArns)) {
    forEachBranch(arn, false, (value, conditional) => addManaged(template, value, conditional, permissions));
  }
  for (const [id, resource] of Object.entries(template.Resources)) {
    const attaches =
      referencedIds(resource.Properties?.Roles).has(roleId) ||
      (resource.Type === 'AWS::IAM::RolePolicy' && referencedIds(resource.Properties?.RoleName).has(roleId));
    if (
      attaches &&
      ['AWS::IAM::Policy', 'AWS::IAM::RolePolicy', 'AWS::IAM::ManagedPolicy'].includes(resource.Type)
    ) {
      permissions.statements.push(
        ...statementsOf(resource.Properties?.PolicyDocument, id, resource.Condition !== undefined),
      );
    }
  }
  if (role.Properties?.PermissionsBoundary !== undefined) {
    permissions.notes.push(`${roleId} has a PermissionsBoundary, which the check does not evaluate`);
  }
  return permissions;
}

/** Calls `visit` for a value, or for each branch of an `Fn::If` (marked conditional). */
function forEachBranch(
  value: unknown,
  conditional: boolean,
  visit: (value: unknown, conditional: boolean) => void,
) {
  const call = intrinsic(value);
  if (call?.[0] === 'Fn::If' && Array.isArray(call[1])) {
    for (const branch of call[1].slice(1)) forEachBranch(branch, true, visit);
    return;
  }
  if (call?.[0] === 'Ref' && call[1] === 'AWS::NoValue') return;
  visit(value, conditional);
}

function statementsOf(document: unknown, source: string, conditional: boolean): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  forEachBranch(document, conditional, (doc, docConditional) => {
    if (!isRecord(doc)) return;
    for (const entry of asList(doc.Statement)) {
      forEachBranch(entry, docConditional, (statement, statementConditional) => {
        if (!isRecord(statement)) return;
        statements.push({
          effect: statement.Effect === 'Deny' ? 'Deny' : 'Allow',
          ...(statement.Action !== undefined ? { actions: asList(statement.Action).map(String) } : {}),
          ...(statement.NotAction !== undefined
            ? { notActions: asList(statement.NotAction).map(String) }
            : {}),
          resources: asList(statement.Resource),
          notResource: statement.NotResource !== undefined,
          hasCondition: statement.Condition !== undefined,
          conditional: statementConditional,
          source,
        });
      });
    }
  });
  return statements;
}

function addManaged(
  template: CfnTemplate,
  value: unknown,
  conditional: boolean,
  permissions: RolePermissions,
) {
  const [id] = referencedIds(value);
  const resource = id === undefined ? undefined : template.Resources[id];
  if (id && resource?.Type === 'AWS::IAM::ManagedPolicy') {
    permissions.statements.push(...statementsOf(resource.Properties?.PolicyDocument, id, conditional));
    return;
  }
  const arn = arnText(value);
  const awsManaged = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn ?? '')?.[1];
  const name = awsManaged ?? arn ?? JSON.stringify(value);
  const actions = awsManaged ? knownManagedPolicies[awsManaged] : undefined;
  permissions.managed.push({ name, ...(actions ? { actions } : {}), conditional });
  if (!actions) {
    permissions.notes.push(
      `managed policy ${name} is not one the check knows: its permissions are not counted`,
    );
  }
}

function arnText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const call = intrinsic(value);
  if (call?.[0] === 'Fn::Sub' && typeof call[1] === 'string')
    return call[1].replaceAll('${AWS::Partition}', 'aws');
  return undefined;
}

/** IAM action matching: case-insensitive, `*` any run of characters, `?` any one character. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${regex}$`, 'i').test(action);
}

/** Whether a statement's action clause (Action or NotAction) applies to `action`. */
function appliesTo(statement: PolicyStatement, action: string): boolean {
  if (statement.actions) return statement.actions.some((pattern) => actionMatches(pattern, action));
  return !(statement.notActions ?? []).some((pattern) => actionMatches(pattern, action));
}

export interface ActionVerdict {
  allowed: boolean;
  /** The inline statements that allow it (for the resource check). */
  statements: PolicyStatement[];
  /** Managed policies that allow it. */
  managed: string[];
  /** An unconditional Deny on every resource that overrides any Allow. */
  deniedBy?: string;
  warnings: string[];
}

/**
 * Whether the role may perform `action`, conservatively: statements under Fn::If and Allow statements
 * with NotAction do not count as allowing; an unconditional Deny on `*` denies; other Deny statements
 * only warn.
 */
export function evaluateAction(action: string, permissions: RolePermissions): ActionVerdict {
  const verdict: ActionVerdict = { allowed: false, statements: [], managed: [], warnings: [] };
  for (const statement of permissions.statements) {
    if (!appliesTo(statement, action)) continue;
    if (statement.effect === 'Deny') {
      const total = !statement.conditional && !statement.hasCondition && statement.resources.includes('*');
      if (total) verdict.deniedBy = statement.source;
      else verdict.warnings.push(`a Deny statement in ${statement.source} may deny ${action}`);
    } else if (statement.conditional) {
      verdict.warnings.push(
        `${action} is allowed only under an Fn::If in ${statement.source}, which does not count`,
      );
    } else if (!statement.actions) {
      verdict.warnings.push(
        `${action} is allowed only through NotAction in ${statement.source}, which does not count`,
      );
    } else {
      verdict.statements.push(statement);
      if (statement.hasCondition) {
        verdict.warnings.push(`${action} is allowed in ${statement.source} only under an IAM Condition`);
      }
    }
  }
  for (const policy of permissions.managed) {
    if (!policy.conditional && policy.actions?.some((pattern) => actionMatches(pattern, action))) {
      verdict.managed.push(policy.name);
    }
  }
  verdict.allowed = !verdict.deniedBy && (verdict.statements.length > 0 || verdict.managed.length > 0);
  return verdict;
}

/**
 * Whether the statements that allow an action cover the resource `logicalId` (by reference: a
 * Ref/GetAtt/Sub of it, or `*`): `unknown` when one names resources the check cannot relate to it
 * (literal ARNs, parameters), `misses` when all name other resources of the template.
 */
export function resourceCoverage(
  statements: readonly PolicyStatement[],
  managedAllows: boolean,
  logicalId: string,
  template: CfnTemplate,
): 'covers' | 'misses' | 'unknown' {
  if (managedAllows) return 'covers';
  let unknown = false;
  for (const statement of statements) {
    if (statement.notResource) {
      unknown = true;
      continue;
    }
    for (const resource of statement.resources) {
      if (resource === '*') return 'covers';
      const ids = referencedIds(resource);
      if (ids.has(logicalId)) return 'covers';
      if (ids.size === 0 || [...ids].some((id) => !template.Resources[id])) unknown = true;
    }
  }
  return unknown ? 'unknown' : 'misses';
}
