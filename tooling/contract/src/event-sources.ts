import { isRecord, referencedIds } from '@repo/sam-template/template-values';
import { asList, type CfnTemplate, targetsFunction } from './cloudformation.ts';
import type { HandlerFacts } from './source-analysis.ts';

/** What kind of event a wired source delivers, as far as a handler cares. */
export type SourceClass =
  | 'api'
  | 'http-api'
  | 'sqs'
  | 'sns'
  | 's3-object-created'
  | 's3-other'
  | 'eventbridge'
  | 'schedule'
  | 'stream';

/** One event source wired to a function in the transformed template. */
export type Wiring = { class: SourceClass; label: string } & (
  | { kind: 'api'; apiId: string; method: string; path: string }
  | { kind: 'sqs'; reportsBatchItemFailures: boolean }
  | { kind: 'other' }
);

/** One method of a REST API (`ANY` for x-amazon-apigateway-any-method) and the function it invokes. */
export interface ApiMethod {
  apiId: string;
  path: string;
  method: string;
  /** The Lambda function its proxy integration invokes, if any. */
  functionId?: string;
  /**
   * The authorizers API Gateway runs before it (the operation's `security`, as SAM writes it for
   * `Auth`); empty when anyone may call it.
   */
  authorizers: string[];
}

interface AcceptedSource {
  /** Source classes the handler takes. */
  accepts: SourceClass[];
  /** At least one of these must be wired. */
  requiresOneOf: SourceClass[];
  label: string;
}

/**
 * What a handler accepts, keyed by an import its entry module uses (`module#export`, or
 * `module#export.member`). Only the entry module is read: it is the adapter that parses the event, while
 * other bundled modules may use the same schemas for other things (batch-worker parses S3 notifications
 * inside SQS message bodies with s3DeliverySchema).
 */
export const acceptedSourceTable: Record<string, AcceptedSource> = {
  'aws-lambda#APIGatewayProxyEvent': {
    accepts: ['api'],
    requiresOneOf: ['api'],
    label: 'API Gateway REST proxy events',
  },
  'aws-lambda#APIGatewayProxyEventV2': {
    accepts: ['http-api'],
    requiresOneOf: ['http-api'],
    label: 'API Gateway HTTP API (payload 2.0) events',
  },
  'aws-lambda#SQSEvent': { accepts: ['sqs'], requiresOneOf: ['sqs'], label: 'SQS batches' },
  '@aws-lambda-powertools/batch#EventType.SQS': {
    accepts: ['sqs'],
    requiresOneOf: ['sqs'],
    label: 'SQS batches',
  },
  'aws-lambda#SNSEvent': { accepts: ['sns'], requiresOneOf: ['sns'], label: 'SNS notifications' },
  '@repo/events/s3#s3ObjectEventSchema': {
    accepts: ['s3-object-created'],
    requiresOneOf: ['s3-object-created'],
    label: 'S3 "Object Created" events (EventBridge or S3 notifications)',
  },
  '@repo/events/s3#s3DeliverySchema': {
    accepts: ['s3-object-created', 'sqs', 'sns'],
    requiresOneOf: ['s3-object-created'],
    label: 'S3 "Object Created" events, directly or inside SQS/SNS records',
  },
};

/** Imports that mean the handler answers SQS batches with `batchItemFailures`. */
const batchItemFailureMarkers = [
  'aws-lambda#SQSBatchResponse',
  '@aws-lambda-powertools/batch#processPartialResponse',
];

const methodKeys: Record<string, string> = {
  get: 'GET',
  put: 'PUT',
  post: 'POST',
  delete: 'DELETE',
  patch: 'PATCH',
  head: 'HEAD',
  options: 'OPTIONS',
  'x-amazon-apigateway-any-method': 'ANY',
};

/** Every method of every REST API (inline OpenAPI `Body`, as SAM writes it) and HTTP API of a template. */
export function apiMethods(template: CfnTemplate): (ApiMethod & { http: boolean })[] {
  const methods: (ApiMethod & { http: boolean })[] = [];
  const functionIds = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([id]) => id);
  for (const [apiId, resource] of Object.entries(template.Resources)) {
    const http = resource.Type === 'AWS::ApiGatewayV2::Api';
    if (resource.Type !== 'AWS::ApiGateway::RestApi' && !http) continue;
    const body = resource.Properties?.Body;
    const paths = isRecord(body) && isRecord(body.paths) ? body.paths : {};
    for (const [path, operations] of Object.entries(paths)) {
      if (!isRecord(operations)) continue;
      for (const [key, operation] of Object.entries(operations)) {
        const method = methodKeys[key];
        if (!method || !isRecord(operation)) continue;
        const integration = operation['x-amazon-apigateway-integration'];
        const uri = isRecord(integration) ? integration.uri : undefined;
        const functionId = functionIds.find((id) => targetsFunction(uri, id, template));
        const authorizers = asList(operation.security)
          .flatMap((requirement) => (isRecord(requirement) ? Object.keys(requirement) : []))
          .filter((name) => name !== 'NONE');
        methods.push({ apiId, path, method, http, authorizers, ...(functionId ? { functionId } : {}) });
      }
    }
  }
  return methods;
}

/** The event sources wired to `functionId` in a transformed template, named by their SAM event when known. */
export function wiredSources(
  template: CfnTemplate,
  functionId: string,
  eventNames: Record<string, string> = {},
): Wiring[] {
  const wirings: Wiring[] = [];
  const nameOf = (id: string) => eventNames[id] ?? id;
  for (const method of apiMethods(template)) {
    if (method.functionId !== functionId) continue;
    const key = `${method.method} ${method.path}`;
    wirings.push(
      method.http
        ? { kind: 'other', class: 'http-api', label: `HTTP API route ${key}` }
        : {
            kind: 'api',
            class: 'api',
            apiId: method.apiId,
            method: method.method,
            path: method.path,
            label: `Api event ${eventNames[`${method.apiId} ${key}`] ?? key} (${key})`,
          },
    );
  }
  for (const [id, resource] of Object.entries(template.Resources)) {
    const properties = resource.Properties ?? {};
    if (
      resource.Type === 'AWS::Lambda::EventSourceMapping' &&
      targetsFunction(properties.FunctionName, functionId, template)
    ) {
      const source = properties.EventSourceArn;
      const isQueue =
        [...referencedIds(source)].some((ref) => template.Resources[ref]?.Type === 'AWS::SQS::Queue') ||
        (typeof source === 'string' && source.startsWith('arn:aws:sqs:'));
      wirings.push(
        isQueue
          ? {
              kind: 'sqs',
              class: 'sqs',
              label: `SQS event ${nameOf(id)}`,
              reportsBatchItemFailures: asList(properties.FunctionResponseTypes).includes(
                'ReportBatchItemFailures',
              ),
            }
          : { kind: 'other', class: 'stream', label: `event source mapping ${nameOf(id)}` },
      );
    }
    if (resource.Type === 'AWS::Events::Rule') {
      const targeted = asList(properties.Targets).some(
        (target) => isRecord(target) && targetsFunction(target.Arn, functionId, template),
      );
      if (!targeted) continue;
      const pattern = isRecord(properties.EventPattern) ? properties.EventPattern : undefined;
      const objectCreated =
        asList(pattern?.source).includes('aws.s3') &&
        asList(pattern?.['detail-type']).includes('Object Created');
      const sourceClass: SourceClass = pattern
        ? objectCreated
          ? 's3-object-created'
          : 'eventbridge'
        : 'schedule';
      wirings.push({ kind: 'other', class: sourceClass, label: `EventBridge rule ${nameOf(id)}` });
    }
    if (resource.Type === 'AWS::S3::Bucket') {
      const notifications = isRecord(properties.NotificationConfiguration)
        ? properties.NotificationConfiguration
        : {};
      for (const configuration of asList(notifications.LambdaConfigurations)) {
        if (!isRecord(configuration) || !targetsFunction(configuration.Function, functionId, template))
          continue;
        const created = String(configuration.Event).startsWith('s3:ObjectCreated:');
        wirings.push({
          kind: 'other',
          class: created ? 's3-object-created' : 's3-other',
          label: `S3 notification ${String(configuration.Event)} on ${id}`,
        });
      }
    }
    const snsEndpoints =
      resource.Type === 'AWS::SNS::Subscription'
        ? [properties]
        : resource.Type === 'AWS::SNS::Topic'
          ? asList(properties.Subscription).filter(isRecord)
          : [];
    for (const subscription of snsEndpoints) {
      if (
        subscription.Protocol === 'lambda' &&
        targetsFunction(subscription.Endpoint, functionId, template)
      ) {
        wirings.push({ kind: 'other', class: 'sns', label: `SNS subscription ${nameOf(id)}` });
      }
    }
  }
  return wirings;
}

const segmentsOf = (path: string) => path.split('/').filter(Boolean);
const isGreedy = (segment: string) => /^\{.+\+\}$/.test(segment);
const isParameter = (segment: string) => /^\{[^+]+\}$/.test(segment);

/**
 * The API Gateway resource a request for `route` (parameters standing for any value) is routed to:
 * the most specific resource (its methods' paths and every parent path), literal segments before
 * `{param}` before `{proxy+}`, as API Gateway matches them.
 */
export function matchingResource(routePath: string, resourcePaths: readonly string[]): string | undefined {
  const resources = new Set<string>(['/']);
  for (const path of resourcePaths) {
    const segments = segmentsOf(path);
    for (let index = 1; index <= segments.length; index++)
      resources.add(`/${segments.slice(0, index).join('/')}`);
  }
  const request = segmentsOf(routePath);
  const rank = (segments: string[]): number[] | undefined => {
    const ranks: number[] = [];
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index] as string;
      if (isGreedy(segment))
        return index === segments.length - 1 && request.length > index ? [...ranks, 0] : undefined;
      const wanted = request[index];
      if (wanted === undefined) return undefined;
      if (isParameter(segment)) ranks.push(1);
      else if (segment === wanted && !isParameter(wanted) && !isGreedy(wanted)) ranks.push(2);
      else return undefined;
    }
    return segments.length === request.length ? ranks : undefined;
  };
  let best: { path: string; ranks: number[] } | undefined;
  for (const path of resources) {
    const ranks = rank(segmentsOf(path));
    if (!ranks) continue;
    if (!best || compareRanks(ranks, best.ranks) > 0) best = { path, ranks };
  }
  return best?.path;
}

function compareRanks(a: number[], b: number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? -1) - (b[index] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Whether a handler route of `routePath` serves requests routed to a resource of `resourcePath`. */
function sameShape(routePath: string, resourcePath: string): boolean {
  const route = segmentsOf(routePath);
  const resource = segmentsOf(resourcePath);
  if (route.length !== resource.length) return false;
  return route.every((segment, index) => {
    const other = resource[index] as string;
    return segment === other || (isParameter(segment) && isParameter(other));
  });
}

export interface EventSourceCheck {
  /** What the handler accepts, for the summary. */
  accepted: string[];
  failures: string[];
}

const fixes: Partial<Record<SourceClass, string>> = {
  sqs: 'add to Events: Jobs: { Type: SQS, Properties: { Queue: !GetAtt <Queue>.Arn, FunctionResponseTypes: [ReportBatchItemFailures] } }',
  's3-object-created':
    'add to Events: Uploaded: { Type: EventBridgeRule, Properties: { Pattern: { source: [aws.s3], detail-type: [Object Created], detail: { bucket: { name: [!Ref <Bucket>] } } } } } (or an S3 event on s3:ObjectCreated:*)',
  api: 'add an Api event for each of its routes',
  'http-api': 'add an HttpApi event for each of its routes',
  sns: 'add to Events: Notifications: { Type: SNS, Properties: { Topic: !Ref <Topic> } }',
};

/**
 * Checks the event sources wired to a function against those its handler accepts: each accepted kind is
 * wired, nothing else is; every route of an @middy/http-router handler is reachable through an Api
 * event (API Gateway routes a request to its most specific resource, whose method or ANY must invoke the
 * function) and every Api event is a route the handler has or a catch-all (ANY, `{proxy+}`); SQS sources
 * of a handler that returns `batchItemFailures` have ReportBatchItemFailures.
 */
export function checkEventSources({
  handler,
  wirings,
  methods,
  functionId,
}: {
  handler: HandlerFacts;
  wirings: readonly Wiring[];
  /** Every REST API method of the template (to find where API Gateway routes each request). */
  methods: readonly ApiMethod[];
  functionId: string;
}): EventSourceCheck {
  const failures: string[] = [];
  const matched = handler.uses.filter((use) => use in acceptedSourceTable);
  if (matched.length === 0) {
    failures.push(
      `cannot derive which event sources its handler accepts: ${handler.entry} uses none of ${Object.keys(acceptedSourceTable).join(', ')} — add the event type or schema it parses to acceptedSourceTable in tooling/contract/src/event-sources.ts`,
    );
    return { accepted: [], failures };
  }
  const accepted = new Set<SourceClass>();
  // Markers that require the same sources (SQSEvent and EventType.SQS) make one failure, not two.
  const unmet = new Map<string, string[]>();
  for (const key of matched) {
    const entry = acceptedSourceTable[key] as AcceptedSource;
    for (const sourceClass of entry.accepts) accepted.add(sourceClass);
    if (!wirings.some((wiring) => entry.requiresOneOf.includes(wiring.class))) {
      const requirement = entry.requiresOneOf.join('|');
      unmet.set(requirement, [...(unmet.get(requirement) ?? []), key]);
    }
  }
  for (const [requirement, keys] of unmet) {
    const entry = acceptedSourceTable[keys[0] as string] as AcceptedSource;
    const fix = fixes[requirement.split('|')[0] as SourceClass] ?? 'wire one';
    const markers = keys.map((key) => key.replace('#', ' ')).join(', ');
    failures.push(
      `its handler accepts ${entry.label} (${markers} in ${handler.entry}) but no such event source is wired — ${fix}`,
    );
  }
  for (const wiring of wirings) {
    if (!accepted.has(wiring.class)) {
      const labels = matched.map((key) => acceptedSourceTable[key]?.label).join('; ');
      failures.push(
        `${wiring.label} is wired to it, but its handler does not accept ${wiring.class} events (it takes ${labels}) — remove the event or teach the handler`,
      );
    }
  }
  const batchMarker = handler.uses.find((use) => batchItemFailureMarkers.includes(use));
  if (batchMarker) {
    for (const wiring of wirings) {
      if (wiring.kind === 'sqs' && !wiring.reportsBatchItemFailures) {
        failures.push(
          `its handler returns batchItemFailures (${batchMarker.replace('#', ' ')} in ${handler.entry}) but ${wiring.label} lacks FunctionResponseTypes: [ReportBatchItemFailures] — without it Lambda ignores the list and deletes the whole batch, failed messages included; add it to the event's Properties`,
        );
      }
    }
  }
  if (accepted.has('api') && handler.routes)
    failures.push(...checkRoutes(handler, wirings, methods, functionId));
  failures.push(...checkAuthorizers(methods, functionId));
  return { accepted: [...new Set(matched.map((key) => acceptedSourceTable[key]?.label ?? key))], failures };
}

function checkRoutes(
  handler: HandlerFacts,
  wirings: readonly Wiring[],
  methods: readonly ApiMethod[],
  functionId: string,
): string[] {
  const routes = handler.routes;
  if (!routes) return [];
  if ('underivable' in routes) {
    return [
      `cannot derive the routes of its @middy/http-router handler in ${handler.entry}: ${routes.underivable}`,
    ];
  }
  const failures: string[] = [];
  const apiIds = [...new Set(wirings.flatMap((wiring) => (wiring.kind === 'api' ? [wiring.apiId] : [])))];
  for (const route of routes) {
    const reachable = apiIds.some((apiId) => {
      const apiMethodsHere = methods.filter((method) => method.apiId === apiId);
      const resource = matchingResource(
        route.path,
        apiMethodsHere.map((method) => method.path),
      );
      const onResource = apiMethodsHere.filter((method) => method.path === resource);
      const chosen =
        onResource.find((method) => method.method === route.method) ??
        onResource.find((method) => method.method === 'ANY');
      return chosen?.functionId === functionId;
    });
    if (!reachable) {
      const api = apiIds.length === 1 ? `RestApiId: !Ref ${apiIds[0]}, ` : '';
      failures.push(
        `its handler routes ${route.method} ${route.path} (${handler.entry}) but no Api event sends that request to it — API Gateway would answer 403 Missing Authentication Token; add to Events: ${eventNameFor(route)}: { Type: Api, Properties: { ${api}Path: ${route.path}, Method: ${route.method} } }`,
      );
    }
  }
  for (const wiring of wirings) {
    if (wiring.kind !== 'api' || wiring.method === 'ANY' || segmentsOf(wiring.path).some(isGreedy)) continue;
    const handled = routes.some(
      (route) =>
        (route.method === wiring.method || route.method === 'ANY') && sameShape(route.path, wiring.path),
    );
    if (!handled) {
      failures.push(
        `${wiring.label} sends ${wiring.method} ${wiring.path} to it, but its handler has no such route (${handler.entry}) — remove the event, or add the route`,
      );
    }
  }
  return failures;
}

/**
 * Every REST API method that invokes the function — but CORS preflight — runs an authorizer first: a
 * route without one is open to anyone on the internet (OWASP API2, broken authentication).
 */
function checkAuthorizers(methods: readonly ApiMethod[], functionId: string): string[] {
  return methods
    .filter((method) => method.functionId === functionId && method.method !== 'OPTIONS')
    .filter((method) => method.authorizers.length === 0)
    .map(
      (method) =>
        `${method.method} ${method.path} on ${method.apiId} reaches it without an authorizer — anyone can call it; give the API an Auth.DefaultAuthorizer (with AddDefaultAuthorizerToCorsPreflight: false), or name one in the event's Auth.Authorizer instead of NONE`,
    );
}

/** A SAM event name for a route: `DELETE /users/{id}` → `DeleteUsersId`. */
function eventNameFor(route: { method: string; path: string }): string {
  const words = [route.method.toLowerCase(), ...route.path.split(/[^A-Za-z0-9]+/)].filter(Boolean);
  return words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
}
