import { localVariables } from '@repo/sam-template/artifact-variables';
import { readTemplate, serverlessFunctions, type Template } from '@repo/sam-template/read-template';
import {
  evaluateConditions,
  type LocalStack,
  resolveIntrinsics,
} from '@repo/sam-template/resolve-intrinsics';

/** One function as template.yaml declares it, its intrinsics resolved for a stack that exists nowhere. */
export interface DeclaredFunction {
  logicalId: string;
  /** Environment.Variables, Globals merged in, every value a plain string. */
  environment: Record<string, string>;
  memoryMb: number;
  timeoutSeconds: number;
}

const region = 'us-east-1';
const accountId = '123456789012';
const stackName = 'runtime-bench';

/**
 * The function whose CodeUri is `apps/<app>`, with its environment as CloudFormation would set it for a
 * stack named runtime-bench: parameters at their defaults (so Stage is dev), conditions evaluated, and
 * every resource given a plausible physical id of its kind (a topic's !Ref is an ARN, a queue's a URL).
 */
export function declaredFunction(templatePath: string, app: string): DeclaredFunction {
  const template = readTemplate(templatePath);
  const found = serverlessFunctions(template).find(({ properties }) => properties.CodeUri === `apps/${app}`);
  if (!found) throw new Error(`${templatePath}: no AWS::Serverless::Function with CodeUri apps/${app}`);
  const { logicalId, properties } = found;
  // Not the artifact's compile cache: the bench runs dist/ bundles, on Node 22 and 24 alike.
  const resolved = resolveIntrinsics(localVariables(properties), localStack(template)) as Record<
    string,
    unknown
  >;
  const { MemorySize: memoryMb, Timeout: timeoutSeconds } = properties;
  if (typeof memoryMb !== 'number' || typeof timeoutSeconds !== 'number') {
    throw new Error(`${templatePath}: ${logicalId} has no numeric MemorySize and Timeout`);
  }
  return {
    logicalId,
    environment: Object.fromEntries(Object.entries(resolved).map(([name, value]) => [name, String(value)])),
    memoryMb,
    timeoutSeconds,
  };
}

function localStack(template: Template): LocalStack {
  const parameters = Object.fromEntries(
    Object.entries(template.Parameters ?? {}).map(([name, parameter]) => [
      name,
      String(parameter.Default ?? ''),
    ]),
  );
  const physicalIds = Object.fromEntries(
    Object.entries(template.Resources).map(([logicalId, { Type }]) => [
      logicalId,
      physicalId(logicalId, Type),
    ]),
  );
  const base = { region, accountId, stackName, parameters, physicalIds };
  return { ...base, conditions: evaluateConditions(template.Conditions ?? {}, base) };
}

/** What `!Ref` returns for a resource of this type: an ARN for a topic, a URL for a queue, else a name. */
function physicalId(logicalId: string, type: string): string {
  const name = `${stackName}-${logicalId.toLowerCase()}`;
  if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${region}:${accountId}:${name}`;
  if (type === 'AWS::SQS::Queue') return `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;
  return name;
}
