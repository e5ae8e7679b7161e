import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findWorkspaceRoot,
  parseTemplate,
  type Resource,
  serverlessFunctions,
  type Template,
} from '../src/read-template.ts';
import { evaluateConditions, type LocalStack, resolveIntrinsics } from '../src/resolve-intrinsics.ts';
import { isRecord } from '../src/template-values.ts';

const templateText = readFileSync(join(findWorkspaceRoot(), 'template.yaml'), 'utf8');
const template = parseTemplate(templateText);

type Properties = Record<string, unknown>;
type Dimension = { Name?: unknown; Value?: unknown };

/** One metric an alarm watches: its own (Namespace/MetricName/Dimensions) or a MetricStat of its Metrics. */
interface WatchedMetric {
  alarmId: string;
  namespace: unknown;
  metricName: unknown;
  dimensions: Dimension[];
  alarm: Properties;
}

function resourcesOfType(from: Template, type: string): [string, Resource][] {
  return Object.entries(from.Resources).filter(([, resource]) => resource.Type === type);
}

function watchedMetrics(from: Template): WatchedMetric[] {
  return resourcesOfType(from, 'AWS::CloudWatch::Alarm').flatMap(([alarmId, resource]) => {
    const alarm = resource.Properties ?? {};
    const own = alarm.MetricName === undefined ? [] : [alarm];
    const stats = (Array.isArray(alarm.Metrics) ? alarm.Metrics : [])
      .map((query) => (isRecord(query) && isRecord(query.MetricStat) ? query.MetricStat.Metric : undefined))
      .filter(isRecord);
    return [...own, ...stats].map((metric) => ({
      alarmId,
      namespace: metric.Namespace,
      metricName: metric.MetricName,
      dimensions: Array.isArray(metric.Dimensions) ? (metric.Dimensions as Dimension[]) : [],
      alarm,
    }));
  });
}

const sameValue = (left: unknown, right: unknown) => JSON.stringify(left) === JSON.stringify(right);

function findAlarm(
  from: Template,
  namespace: string,
  metricName: string,
  dimensions: Record<string, unknown>,
  accept: (alarm: Properties) => boolean = () => true,
): WatchedMetric | undefined {
  return watchedMetrics(from).find(
    (metric) =>
      metric.namespace === namespace &&
      metric.metricName === metricName &&
      Object.entries(dimensions).every(([name, value]) =>
        metric.dimensions.some((dimension) => dimension.Name === name && sameValue(dimension.Value, value)),
      ) &&
      accept(metric.alarm),
  );
}

/** `{ 'Fn::GetAtt': [Queue, 'Arn'] }` (or `'Queue.Arn'`) → `Queue`, when Queue is an SQS queue. */
function queueOfArn(from: Template, arn: unknown): string | undefined {
  if (!isRecord(arn)) return undefined;
  const getAtt = arn['Fn::GetAtt'];
  const [logicalId, attribute] = Array.isArray(getAtt) ? getAtt : String(getAtt).split('.');
  const resource = from.Resources[String(logicalId)];
  return attribute === 'Arn' && resource?.Type === 'AWS::SQS::Queue' ? String(logicalId) : undefined;
}

/** Dead-letter queues (some queue's deadLetterTargetArn) and OnFailure destinations of functions. */
function failureQueues(from: Template): string[] {
  const redriveTargets = resourcesOfType(from, 'AWS::SQS::Queue').map(([, queue]) => {
    const redrive = queue.Properties?.RedrivePolicy;
    return isRecord(redrive) ? redrive.deadLetterTargetArn : undefined;
  });
  const onFailure = (config: unknown) => {
    const destination =
      isRecord(config) && isRecord(config.DestinationConfig) ? config.DestinationConfig : {};
    return isRecord(destination.OnFailure) ? destination.OnFailure.Destination : undefined;
  };
  const functionDestinations = serverlessFunctions(from).flatMap((fn) => [
    onFailure(fn.properties.EventInvokeConfig),
    // Stream event sources (Kinesis, DynamoDB) take an OnFailure destination of their own.
    ...Object.values(isRecord(fn.properties.Events) ? fn.properties.Events : {}).map((event) =>
      onFailure(isRecord(event) ? event.Properties : undefined),
    ),
  ]);
  const invokeConfigs = resourcesOfType(from, 'AWS::Lambda::EventInvokeConfig').map(([, config]) =>
    onFailure(config.Properties),
  );
  const queues = [...redriveTargets, ...functionDestinations, ...invokeConfigs].map((arn) =>
    queueOfArn(from, arn),
  );
  return [...new Set(queues.filter((queue): queue is string => queue !== undefined))].sort();
}

/** Queues that have a RedrivePolicy: work queues, whose backlog growing old means consumers lag. */
function workQueues(from: Template): string[] {
  return resourcesOfType(from, 'AWS::SQS::Queue')
    .filter(([, queue]) => queue.Properties?.RedrivePolicy !== undefined)
    .map(([logicalId]) => logicalId);
}

const atLeast = (threshold: number) => (alarm: Properties) =>
  alarm.ComparisonOperator === 'GreaterThanOrEqualToThreshold' && alarm.Threshold === threshold;

/** What the template leaves unalarmed, one line per gap; empty when every alarm is there. */
function missingAlarms(from: Template): string[] {
  const problems: string[] = [];
  for (const fn of serverlessFunctions(from)) {
    for (const metricName of ['Errors', 'Throttles']) {
      const alarm = findAlarm(from, 'AWS/Lambda', metricName, { FunctionName: { Ref: fn.logicalId } }, (a) =>
        atLeast(1)(a),
      );
      if (!alarm) problems.push(`${fn.logicalId} has no ${metricName} alarm`);
    }
  }
  const queueName = (queue: string) => ({ QueueName: { 'Fn::GetAtt': [queue, 'QueueName'] } });
  for (const queue of failureQueues(from)) {
    if (!findAlarm(from, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', queueName(queue), atLeast(1)))
      problems.push(`${queue} has no depth alarm`);
    if (!findAlarm(from, 'AWS/SQS', 'ApproximateAgeOfOldestMessage', queueName(queue)))
      problems.push(`${queue} has no age alarm`);
  }
  for (const queue of workQueues(from)) {
    if (!findAlarm(from, 'AWS/SQS', 'ApproximateAgeOfOldestMessage', queueName(queue)))
      problems.push(`${queue} has no age alarm`);
  }
  for (const [logicalId, api] of resourcesOfType(from, 'AWS::Serverless::Api')) {
    // REST API metrics are named by the API's name (SAM's default: the logical id) and stage.
    const dimensions = { ApiName: api.Properties?.Name ?? logicalId, Stage: api.Properties?.StageName };
    const fiveXx = findAlarm(from, 'AWS/ApiGateway', '5XXError', dimensions, (alarm) => {
      const expressions = (Array.isArray(alarm.Metrics) ? alarm.Metrics : []).filter(
        (query) => isRecord(query) && typeof query.Expression === 'string' && query.ReturnData !== false,
      );
      // A rate: the one returned expression over this alarm's own request Count of the same API.
      const count = findAlarm(from, 'AWS/ApiGateway', 'Count', dimensions, (other) => other === alarm);
      return expressions.length === 1 && count !== undefined && atLeast(1)(alarm);
    });
    if (!fiveXx) problems.push(`${logicalId} has no 5xx rate alarm`);
    const latency = findAlarm(
      from,
      'AWS/ApiGateway',
      'Latency',
      dimensions,
      (alarm) => alarm.ExtendedStatistic === 'p99' && atLeast(1000)(alarm),
    );
    if (!latency) problems.push(`${logicalId} has no p99 latency alarm`);
  }
  return problems;
}

/** What CloudFormation would know, with the AlarmTopicArn parameter set to `alarmTopicArn`. */
function stackWith(from: Template, alarmTopicArn: string): LocalStack {
  const base = {
    region: 'us-east-1',
    accountId: '123456789012',
    stackName: 'alarms-test',
    parameters: {
      ...Object.fromEntries(
        Object.entries(from.Parameters ?? {}).map(([name, definition]) => [
          name,
          String(definition.Default ?? name),
        ]),
      ),
      AlarmTopicArn: alarmTopicArn,
    },
    physicalIds: Object.fromEntries(
      Object.entries(from.Resources).map(([logicalId, resource]) => [
        logicalId,
        resource.Type === 'AWS::SNS::Topic' ? `arn:aws:sns:us-east-1:123456789012:${logicalId}` : logicalId,
      ]),
    ),
  };
  return { ...base, conditions: evaluateConditions(from.Conditions ?? {}, base) };
}

const ownTopic = 'arn:aws:sns:us-east-1:123456789012:AlarmTopic';
const givenTopic = 'arn:aws:sns:us-east-1:123456789012:on-call';

/** Alarms whose AlarmActions or OKActions are not exactly the resolved alarm topic, in both set-ups. */
function alarmsNotNotifyingTheTopic(from: Template): string[] {
  const setUps = [
    { stack: stackWith(from, ''), topic: ownTopic },
    { stack: stackWith(from, givenTopic), topic: givenTopic },
  ];
  return resourcesOfType(from, 'AWS::CloudWatch::Alarm').flatMap(([logicalId, alarm]) =>
    ['AlarmActions', 'OKActions'].flatMap((key) =>
      setUps.every(({ stack, topic }) =>
        sameValue(resolveIntrinsics(alarm.Properties?.[key], stack), [topic]),
      )
        ? []
        : [`${logicalId}.${key}`],
    ),
  );
}

function dashboards(from: Template) {
  return resourcesOfType(from, 'AWS::CloudWatch::Dashboard').map(([logicalId, resource]) => {
    const body = resource.Properties?.DashboardBody;
    const sub = isRecord(body) ? body['Fn::Sub'] : undefined;
    return { logicalId, text: typeof sub === 'string' ? sub : '' };
  });
}

const withDummies = (text: string) => text.replace(/\$\{[^}]*\}/g, 'dummy');

describe('template.yaml alarms', () => {
  it('alarms on every function, dead-letter and failure queue, work queue and API', () => {
    expect(missingAlarms(template)).toEqual([]);
  });

  it('finds the things to alarm on in the template itself', () => {
    expect(serverlessFunctions(template).length).toBeGreaterThan(0);
    expect(failureQueues(template).length).toBeGreaterThan(0);
    expect(workQueues(template).length).toBeGreaterThan(0);
    expect(resourcesOfType(template, 'AWS::Serverless::Api').length).toBeGreaterThan(0);
  });

  it('notifies the alarm topic from every alarm, whether the stack creates it or is given one', () => {
    expect(resourcesOfType(template, 'AWS::CloudWatch::Alarm').length).toBeGreaterThan(0);

    expect(alarmsNotNotifyingTheTopic(template)).toEqual([]);
  });

  it('creates its own alarm topic only when AlarmTopicArn is empty, and outputs the one in use', () => {
    const topic = template.Resources.AlarmTopic;
    const output = template.Outputs?.AlarmTopicArn?.Value;

    expect(topic?.Type).toBe('AWS::SNS::Topic');
    expect(template.Parameters?.AlarmTopicArn).toMatchObject({ Type: 'String', Default: '' });
    expect(stackWith(template, '').conditions[String(topic?.Condition)]).toBe(true);
    expect(stackWith(template, givenTopic).conditions[String(topic?.Condition)]).toBe(false);
    expect(resolveIntrinsics(output, stackWith(template, ''))).toBe(ownTopic);
    expect(resolveIntrinsics(output, stackWith(template, givenTopic))).toBe(givenTopic);
  });
});

describe('the alarm coverage check', () => {
  it("names a function's missing Errors alarm, on a copy of the template without it", () => {
    const copy = parseTemplate(templateText);
    const fn = serverlessFunctions(copy)[0]?.logicalId;
    const alarm = findAlarm(copy, 'AWS/Lambda', 'Errors', { FunctionName: { Ref: fn } });
    expect(alarm, `${fn} has no Errors alarm to remove`).toBeDefined();

    delete copy.Resources[String(alarm?.alarmId)];

    expect(missingAlarms(copy)).toEqual([`${fn} has no Errors alarm`]);
  });

  it("names a dead-letter queue's missing depth alarm, on a copy of the template without it", () => {
    const copy = parseTemplate(templateText);
    const queue = failureQueues(copy)[0];
    const alarm = findAlarm(copy, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
      QueueName: { 'Fn::GetAtt': [queue, 'QueueName'] },
    });
    expect(alarm, `${queue} has no depth alarm to remove`).toBeDefined();

    delete copy.Resources[String(alarm?.alarmId)];

    expect(missingAlarms(copy)).toEqual([`${queue} has no depth alarm`]);
  });

  it('names an alarm that notifies another topic', () => {
    const copy = parseTemplate(templateText);
    const [logicalId, alarm] = resourcesOfType(copy, 'AWS::CloudWatch::Alarm')[0] ?? [];
    (alarm?.Properties as Properties).OKActions = [{ Ref: 'UploadsTopic' }];

    expect(alarmsNotNotifyingTheTopic(copy)).toEqual([`${logicalId}.OKActions`]);
  });
});

describe('template.yaml dashboard', () => {
  const [dashboard] = dashboards(template);

  it('has a body that is valid JSON once its ${…} placeholders are substituted', () => {
    expect(dashboard?.text, 'no AWS::CloudWatch::Dashboard with a !Sub body').toBeTruthy();

    const body = JSON.parse(withDummies(String(dashboard?.text)));

    expect(body.widgets.length).toBeGreaterThan(0);
  });

  it('shows every function and every queue', () => {
    const shown = (logicalId: string) => new RegExp(`\\$\\{${logicalId}[.}]`).test(String(dashboard?.text));
    const things = [
      ...serverlessFunctions(template).map((fn) => fn.logicalId),
      ...resourcesOfType(template, 'AWS::SQS::Queue').map(([logicalId]) => logicalId),
    ];

    expect(things.filter((logicalId) => !shown(logicalId))).toEqual([]);
  });

  it("shows every function's Powertools metrics (namespace LambdaMonorepo, dimension service)", () => {
    const body = JSON.parse(withDummies(String(dashboard?.text)));
    const rows: unknown[][] = body.widgets.flatMap(
      (widget: { properties?: { metrics?: unknown[][] } }) => widget.properties?.metrics ?? [],
    );
    const services = serverlessFunctions(template).map((fn) =>
      String((fn.properties.Environment as { Variables: Properties }).Variables.POWERTOOLS_SERVICE_NAME),
    );
    const shownServices = rows
      .filter((row) => row[0] === 'LambdaMonorepo' && row[2] === 'service')
      .map((row) => row[3]);

    expect(services.filter((service) => !shownServices.includes(service))).toEqual([]);
  });

  it('links to the dashboard from the outputs', () => {
    const url = resolveIntrinsics(template.Outputs?.DashboardUrl?.Value, stackWith(template, ''));

    expect(url).toBe(
      `https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=${dashboard?.logicalId}`,
    );
  });
});
