/** Where a failure queue's messages go back to, worked out from the template alone. */
import { serverlessFunctions, type Template } from '@repo/sam-template/read-template';
import { intrinsic, isRecord } from '@repo/sam-template/template-values';

/**
 * A queue `pnpm redrive` can empty: a Lambda on-failure destination (its messages are invocation
 * records whose `requestPayload` goes back to the function) or a dead-letter queue (its messages go back,
 * as they are, to the queue whose RedrivePolicy points at it).
 */
export type RedriveRoute =
  | { kind: 'function'; queueId: string; functionId: string }
  | { kind: 'queue'; queueId: string; sourceQueueId: string };

/** Thrown for a queue that is no failure destination or DLQ (or is one of several functions). */
export class RedriveRouteError extends Error {
  override readonly name = 'RedriveRouteError';
}

/** Every redrivable queue of the template, each with where its messages go. */
export function redriveRoutes(template: Template): RedriveRoute[] {
  const routes: RedriveRoute[] = [];
  const isQueue = (id: string | undefined): id is string =>
    id !== undefined && template.Resources[id]?.Type === 'AWS::SQS::Queue';
  for (const { logicalId, properties } of serverlessFunctions(template)) {
    const queueId = onFailureQueue(properties.EventInvokeConfig);
    if (isQueue(queueId)) routes.push({ kind: 'function', queueId, functionId: logicalId });
  }
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    // The CloudFormation form of a function's EventInvokeConfig, for functions declared that way.
    if (resource.Type === 'AWS::Lambda::EventInvokeConfig') {
      const queueId = onFailureQueue(resource.Properties);
      const functionId = refTarget(resource.Properties?.FunctionName);
      if (isQueue(queueId) && functionId !== undefined)
        routes.push({ kind: 'function', queueId, functionId });
    }
    if (resource.Type === 'AWS::SQS::Queue') {
      const policy = resource.Properties?.RedrivePolicy;
      const dlqId = isRecord(policy) ? arnTarget(policy.deadLetterTargetArn) : undefined;
      if (isQueue(dlqId)) routes.push({ kind: 'queue', queueId: dlqId, sourceQueueId: logicalId });
    }
  }
  return routes;
}

/** Where `queueId`'s messages go back to; a RedriveRouteError naming the redrivable queues otherwise. */
export function redriveRoute(template: Template, queueId: string): RedriveRoute {
  const routes = redriveRoutes(template);
  const mine = routes.filter((route) => route.queueId === queueId);
  const [route] = mine;
  if (route !== undefined && mine.length === 1) return route;
  if (mine.length > 1) {
    // One record per function would need routing by its functionArn; no template here does that.
    throw new RedriveRouteError(
      `${queueId} collects the failures of ${mine.map(describeTarget).join(' and ')}: redrive cannot tell which gets each message`,
    );
  }
  const known = [...new Set(routes.map((candidate) => candidate.queueId))].sort();
  const what = template.Resources[queueId]
    ? `${queueId} is not a Lambda on-failure destination or dead-letter queue`
    : `No resource ${queueId} in the template`;
  throw new RedriveRouteError(`${what}. Redrivable queues: ${known.length > 0 ? known.join(', ') : 'none'}`);
}

/** `ImageResizerFunction` or `ResizeJobsQueue`: where a route's messages go, for log lines. */
export function describeTarget(route: RedriveRoute): string {
  return route.kind === 'function' ? route.functionId : route.sourceQueueId;
}

function onFailureQueue(config: unknown): string | undefined {
  if (!isRecord(config) || !isRecord(config.DestinationConfig)) return undefined;
  const onFailure = config.DestinationConfig.OnFailure;
  return isRecord(onFailure) ? arnTarget(onFailure.Destination) : undefined;
}

/** `X` for `!GetAtt X.Arn` (either long form); undefined for anything else. */
function arnTarget(value: unknown): string | undefined {
  const call = intrinsic(value);
  if (call?.[0] !== 'Fn::GetAtt') return undefined;
  const [id, attribute] = Array.isArray(call[1]) ? call[1] : String(call[1]).split('.');
  return attribute === 'Arn' && typeof id === 'string' ? id : undefined;
}

/** `X` for `!Ref X`. */
function refTarget(value: unknown): string | undefined {
  const call = intrinsic(value);
  return call?.[0] === 'Ref' && typeof call[1] === 'string' ? call[1] : undefined;
}
