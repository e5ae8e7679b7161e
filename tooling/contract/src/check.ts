// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation's Fn::Sub syntax.

import { referencedIds } from '@repo/sam-template/template-values';
import type { CfnTemplate } from './cloudformation.ts';
import { type ConfigSchema, checkEnvironment, functionVariables } from './environment.ts';
import { apiMethods, checkEventSources, wiredSources } from './event-sources.ts';
import { iamActionsFor, servicePrefixOf } from './iam-actions.ts';
import { evaluateAction, type RolePermissions, resourceCoverage, rolePermissions } from './policies.ts';
import type { CommandUse } from './sdk-commands.ts';
import type { HandlerFacts } from './source-analysis.ts';

/** What the code of one app tells the check. */
export interface AppCode {
  /** The app folder relative to the workspace root, e.g. `apps/users-api`. */
  app: string;
  commands: CommandUse[];
  /** SDK constructions whose calls cannot be derived. */
  commandProblems: string[];
  /** `@aws-sdk/client-*` and `@aws-sdk/lib-*` packages in the bundle. */
  sdkPackages: string[];
  handler: HandlerFacts;
  /** Its `configSchema`, or why it could not be loaded. */
  schema: ConfigSchema | { problem: string };
}

/** The outcome for one function. */
export interface FunctionResult {
  logicalId: string;
  app: string;
  failures: string[];
  warnings: string[];
  /** One line of what was checked, for a passing function. */
  summary: string;
}

/** Template facts every function's check shares. */
export interface TemplateContext {
  template: CfnTemplate;
  /** SAM event names by generated logical id or `<apiId> <METHOD> <path>`, per function. */
  eventNames: Record<string, Record<string, string>>;
  /** How functions set each variable (`!Ref UploadsTable`), to suggest as a fix. */
  setElsewhere: Record<string, string>;
}

const resourceTypes: Record<string, { types: string[]; targetKeys: string[] }> = {
  dynamodb: { types: ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'], targetKeys: ['TableName'] },
  s3: { types: ['AWS::S3::Bucket'], targetKeys: ['Bucket'] },
  sns: { types: ['AWS::SNS::Topic'], targetKeys: ['TopicArn', 'TargetArn'] },
  sqs: { types: ['AWS::SQS::Queue'], targetKeys: ['QueueUrl'] },
  lambda: { types: ['AWS::Lambda::Function'], targetKeys: ['FunctionName'] },
  states: { types: ['AWS::StepFunctions::StateMachine'], targetKeys: ['stateMachineArn'] },
};

/** Checks one function (a transformed `AWS::Lambda::Function` and its app's code) against the contract. */
export function checkFunction(logicalId: string, code: AppCode, context: TemplateContext): FunctionResult {
  const { template } = context;
  const failures: string[] = [];
  const warnings: string[] = [];
  const variables = functionVariables(template, logicalId);

  // 1. Environment.
  let environmentSummary = 'environment not checked';
  if ('problem' in code.schema) {
    failures.push(code.schema.problem);
  } else {
    const environment = checkEnvironment({
      schema: code.schema,
      variables,
      template,
      setElsewhere: context.setElsewhere,
    });
    failures.push(...environment.failures);
    const keys = Object.keys(code.schema.shape).length;
    environmentSummary = `${keys} variables checked, ${environment.required.length > 0 ? `required ${environment.required.join(', ')} set` : 'none required'}`;
  }

  // 2. IAM.
  failures.push(...code.commandProblems);
  const permissions = rolePermissions(template, logicalId);
  const byAction = new Map<string, { uses: CommandUse[]; because?: string }>();
  for (const use of code.commands) {
    const mapping = iamActionsFor(use.command);
    if ('unmapped' in mapping) {
      failures.push(`sends ${use.command.name} (${use.file}:${use.line}) but there is ${mapping.unmapped}`);
      continue;
    }
    for (const action of mapping.actions) {
      const entry = byAction.get(action) ?? { uses: [] };
      entry.uses.push(use);
      if (mapping.because && action.includes('Version')) entry.because = mapping.because;
      byAction.set(action, entry);
    }
  }
  if ('problem' in permissions) {
    if (byAction.size > 0) failures.push(permissions.problem);
  } else {
    warnings.push(...permissions.notes);
    for (const [action, { uses, because }] of [...byAction].sort(([a], [b]) => a.localeCompare(b))) {
      failures.push(...checkAction(action, uses, because, permissions, variables, template, warnings));
    }
  }
  const usedPrefixes = new Set(code.commands.map((use) => servicePrefixOf(use.command.packageName)));
  for (const packageName of code.sdkPackages) {
    const prefix = servicePrefixOf(packageName);
    if (!prefix || !usedPrefixes.has(prefix)) {
      warnings.push(
        `its bundle includes ${packageName} but its sources send no ${prefix ?? 'such'} command: if a dependency sends calls through it, the check cannot see them`,
      );
    }
  }

  // 3. Event sources.
  const wirings = wiredSources(template, logicalId, context.eventNames[logicalId]);
  const events = checkEventSources({
    handler: code.handler,
    wirings,
    methods: apiMethods(template),
    functionId: logicalId,
  });
  failures.push(...events.failures);

  const actions = [...byAction.keys()].sort();
  const routes =
    code.handler.routes && !('underivable' in code.handler.routes)
      ? `, ${code.handler.routes.length} routes`
      : '';
  const apiEvents = wirings.filter((wiring) => wiring.kind === 'api').length;
  const authorizers = [
    ...new Set(
      apiMethods(template)
        .filter((method) => method.functionId === logicalId && method.method !== 'OPTIONS')
        .flatMap((method) => method.authorizers),
    ),
  ];
  const wired = [
    ...(apiEvents > 0
      ? [`${apiEvents} Api events${authorizers.length > 0 ? ` behind ${authorizers.join(', ')}` : ''}`]
      : []),
    ...wirings
      .filter((wiring) => wiring.kind !== 'api')
      .map((wiring) =>
        wiring.kind === 'sqs' && wiring.reportsBatchItemFailures
          ? `${wiring.label} (ReportBatchItemFailures)`
          : wiring.label,
      ),
  ];
  const summary = [
    `env: ${environmentSummary}`,
    `IAM: ${code.commands.length} commands → ${actions.join(', ') || 'no actions'}, all allowed`,
    `events: ${events.accepted.join(' + ')}${routes} ← ${wired.join(', ') || 'nothing wired'}`,
  ].join('; ');
  const prefix = `${logicalId} (${code.app}): `;
  return {
    logicalId,
    app: code.app,
    failures: failures.map((failure) => prefix + failure),
    warnings: [...new Set(warnings)].map((warning) => prefix + warning),
    summary: prefix + summary,
  };
}

function checkAction(
  action: string,
  uses: readonly CommandUse[],
  because: string | undefined,
  permissions: RolePermissions,
  variables: Record<string, unknown>,
  template: CfnTemplate,
  warnings: string[],
): string[] {
  const [first] = uses;
  if (!first) return [];
  const sentBy = `${first.command.name} in ${first.file}:${first.line}${uses.length > 1 ? ` and ${uses.length - 1} more` : ''}`;
  const prefix = action.split(':')[0] ?? '';
  const verdict = evaluateAction(action, permissions);
  warnings.push(...verdict.warnings);
  const target = targetOf(prefix, variables, permissions, template);
  if (!verdict.allowed) {
    const why = because ? `, because ${because}` : '';
    const denied = verdict.deniedBy ? ` (a Deny in ${verdict.deniedBy} overrides any Allow)` : '';
    return [
      `sends ${action} (${sentBy}${why}) but no policy allows it${denied} — ${fixFor(action, prefix, target?.logicalId)}`,
    ];
  }
  // Resource level, only where it is reliable: the function's environment names exactly one resource of the
  // service and the command takes its target as input.
  const targetKeys = resourceTypes[prefix]?.targetKeys ?? [];
  const takesTarget = uses.some((use) => use.command.input?.keys.some((key) => targetKeys.includes(key)));
  if (target?.from !== 'environment' || !takesTarget) return [];
  const coverage = resourceCoverage(
    verdict.statements,
    verdict.managed.length > 0,
    target.logicalId,
    template,
  );
  if (coverage === 'unknown') {
    warnings.push(
      `the statements allowing ${action} name resources the check cannot relate to ${target.logicalId}`,
    );
    return [];
  }
  if (coverage === 'misses') {
    const named = verdict.statements.flatMap((statement) =>
      statement.resources.flatMap((r) => [...referencedIds(r)]),
    );
    return [
      `sends ${action} (${sentBy}) to ${target.logicalId} (its ${target.variable}), but the statements allowing ${action} cover only ${[...new Set(named)].join(', ')} — add ${resourceFor(action, prefix, target.logicalId)} to their Resource`,
    ];
  }
  return [];
}

/**
 * The resource of a service the function most likely targets: the one its environment names (exactly one
 * of the service's types), else the one the role's other statements for that service name.
 */
function targetOf(
  prefix: string,
  variables: Record<string, unknown>,
  permissions: RolePermissions,
  template: CfnTemplate,
): { logicalId: string; from: 'environment' | 'policies'; variable?: string } | undefined {
  const types = resourceTypes[prefix]?.types ?? [];
  const ofService = (value: unknown) =>
    [...referencedIds(value)].filter((id) => types.includes(template.Resources[id]?.Type ?? ''));
  const fromEnvironment = new Map<string, string>();
  for (const [variable, value] of Object.entries(variables)) {
    for (const id of ofService(value)) fromEnvironment.set(id, variable);
  }
  if (fromEnvironment.size === 1) {
    const [[logicalId, variable]] = [...fromEnvironment] as [[string, string]];
    return { logicalId, from: 'environment', variable };
  }
  if (fromEnvironment.size > 1) return undefined;
  const fromPolicies = new Set(
    permissions.statements
      .filter((statement) =>
        statement.actions?.some((action) => action.toLowerCase().startsWith(`${prefix}:`)),
      )
      .flatMap((statement) => statement.resources.flatMap(ofService)),
  );
  const [only] = fromPolicies;
  return fromPolicies.size === 1 && only ? { logicalId: only, from: 'policies' } : undefined;
}

const s3BucketActions =
  /^s3:(ListBucket|ListBucketVersions|ListBucketMultipartUploads|GetBucket|ListAllMyBuckets)/;

function resourceFor(action: string, prefix: string, logicalId: string | undefined): string {
  if (!logicalId) return '<the ARN it targets>';
  switch (prefix) {
    case 's3':
      return s3BucketActions.test(action)
        ? `!GetAtt ${logicalId}.Arn`
        : `!Sub arn:\${AWS::Partition}:s3:::\${${logicalId}}/*`;
    case 'sns':
    case 'states':
      return `!Ref ${logicalId}`;
    default:
      return `!GetAtt ${logicalId}.Arn`;
  }
}

function samPolicyFor(action: string, logicalId: string): string | undefined {
  const operation = action.split(':')[1] ?? '';
  if (action === 'sns:Publish')
    return `SNSPublishMessagePolicy: { TopicName: !GetAtt ${logicalId}.TopicName }`;
  if (action === 'sqs:SendMessage')
    return `SQSSendMessagePolicy: { QueueName: !GetAtt ${logicalId}.QueueName }`;
  if (action.startsWith('dynamodb:')) {
    const read = ['GetItem', 'BatchGetItem', 'Query', 'Scan', 'DescribeTable', 'ConditionCheckItem'];
    return `${read.includes(operation) ? 'DynamoDBReadPolicy' : 'DynamoDBCrudPolicy'}: { TableName: !Ref ${logicalId} }`;
  }
  if (action.startsWith('s3:')) {
    const policy = /^(GetObject|GetObjectVersion|ListBucket|GetBucketLocation)$/.test(operation)
      ? 'S3ReadPolicy'
      : operation === 'PutObject'
        ? 'S3WritePolicy'
        : 'S3CrudPolicy';
    return `${policy}: { BucketName: !Ref ${logicalId} }`;
  }
  return undefined;
}

function fixFor(action: string, prefix: string, logicalId: string | undefined): string {
  const statement = `add to Policies: - Statement: [{ Effect: Allow, Action: ${action}, Resource: ${resourceFor(action, prefix, logicalId)} }]`;
  const template = logicalId ? samPolicyFor(action, logicalId) : undefined;
  return template ? `${statement} (or ${template})` : statement;
}
