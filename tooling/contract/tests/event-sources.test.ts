// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation's Fn::Sub syntax.
import { describe, expect, it } from 'vitest';
import type { CfnTemplate } from '../src/cloudformation.ts';
import {
  type ApiMethod,
  apiMethods,
  checkEventSources,
  matchingResource,
  type Wiring,
  wiredSources,
} from '../src/event-sources.ts';
import type { HandlerFacts } from '../src/source-analysis.ts';

const handler = (uses: string[], routes?: HandlerFacts['routes']): HandlerFacts => ({
  entry: 'apps/x/src/handler.ts',
  uses,
  ...(routes ? { routes } : {}),
});

describe('matchingResource', () => {
  const resources = ['/users', '/users/{id}', '/users/me', '/{proxy+}'];

  it.each([
    ['/users', '/users'],
    ['/users/{id}', '/users/{id}'],
    ['/orders/{id}', '/{proxy+}'],
    ['/users/{id}/avatar', '/{proxy+}'],
    ['/', '/'],
  ])('routes %s to %s (literal before {param} before {proxy+})', (route, resource) => {
    expect(matchingResource(route, resources)).toBe(resource);
  });

  it('counts a parent path as a resource even when it has no methods', () => {
    expect(matchingResource('/users', ['/users/{id}', '/{proxy+}'])).toBe('/users');
  });
});

const sqs = (reportsBatchItemFailures: boolean): Wiring => ({
  kind: 'sqs',
  class: 'sqs',
  label: 'SQS event Jobs',
  reportsBatchItemFailures,
});

describe('checkEventSources', () => {
  it('passes an SQS handler wired to a queue with ReportBatchItemFailures', () => {
    // Act
    const result = checkEventSources({
      handler: handler(['aws-lambda#SQSEvent', 'aws-lambda#SQSBatchResponse']),
      wirings: [sqs(true)],
      methods: [],
      functionId: 'Fn',
    });

    // Assess
    expect(result).toEqual({ accepted: ['SQS batches'], failures: [] });
  });

  it('fails an SQS handler that returns batchItemFailures on a queue without ReportBatchItemFailures', () => {
    // Act
    const { failures } = checkEventSources({
      handler: handler(['aws-lambda#SQSEvent', '@aws-lambda-powertools/batch#processPartialResponse']),
      wirings: [sqs(false)],
      methods: [],
      functionId: 'Fn',
    });

    // Assess
    expect(failures).toEqual([
      expect.stringContaining('SQS event Jobs lacks FunctionResponseTypes: [ReportBatchItemFailures]'),
    ]);
  });

  it('reports a missing source once, however many markers ask for it', () => {
    // Act
    const { failures } = checkEventSources({
      handler: handler(['aws-lambda#SQSEvent', '@aws-lambda-powertools/batch#EventType.SQS']),
      wirings: [],
      methods: [],
      functionId: 'Fn',
    });

    // Assess
    expect(failures).toEqual([
      expect.stringContaining(
        'accepts SQS batches (aws-lambda SQSEvent, @aws-lambda-powertools/batch EventType.SQS',
      ),
    ]);
  });

  it('fails a wired source the handler does not accept', () => {
    // Act
    const { failures } = checkEventSources({
      handler: handler(['@repo/events/s3#s3ObjectEventSchema']),
      wirings: [{ kind: 'other', class: 's3-object-created', label: 'EventBridge rule Uploaded' }, sqs(true)],
      methods: [],
      functionId: 'Fn',
    });

    // Assess
    expect(failures).toEqual([
      expect.stringContaining('SQS event Jobs is wired to it, but its handler does not accept sqs events'),
    ]);
  });

  it('fails a handler whose accepted sources cannot be derived', () => {
    const { failures } = checkEventSources({
      handler: handler(['aws-lambda#Context']),
      wirings: [],
      methods: [],
      functionId: 'Fn',
    });
    expect(failures).toEqual([
      expect.stringContaining('cannot derive which event sources its handler accepts'),
    ]);
  });

  describe('with @middy/http-router routes', () => {
    const routes = [
      { method: 'GET', path: '/users/{id}' },
      { method: 'DELETE', path: '/users/{id}' },
    ];
    const api = (method: string, path: string, functionId = 'Fn'): ApiMethod => ({
      apiId: 'Api',
      method,
      path,
      functionId,
      authorizers: ['Cognito'],
    });
    const wired = (methods: ApiMethod[]): Wiring[] =>
      methods
        .filter((method) => method.functionId === 'Fn')
        .map((method) => ({
          kind: 'api',
          class: 'api',
          apiId: 'Api',
          method: method.method,
          path: method.path,
          label: `Api event ${method.method} ${method.path}`,
        }));
    const check = (methods: ApiMethod[]) =>
      checkEventSources({
        handler: handler(['aws-lambda#APIGatewayProxyEvent'], routes),
        wirings: wired(methods),
        methods,
        functionId: 'Fn',
      }).failures;

    it('passes when every route has its method', () => {
      expect(check([api('GET', '/users/{id}'), api('DELETE', '/users/{id}')])).toEqual([]);
    });

    it('counts ANY on the route’s resource as covering it', () => {
      expect(check([api('GET', '/users/{id}'), api('ANY', '/users/{id}')])).toEqual([]);
    });

    it('does not count a {proxy+} catch-all when a more specific resource lacks the method', () => {
      // Act
      const failures = check([api('GET', '/users/{id}'), api('ANY', '/{proxy+}')]);

      // Assess
      expect(failures).toEqual([expect.stringContaining('routes DELETE /users/{id}')]);
      expect(failures[0]).toContain('Method: DELETE');
    });

    it('counts a {proxy+} catch-all when no more specific resource exists', () => {
      expect(check([api('ANY', '/{proxy+}')])).toEqual([]);
    });

    it('fails a route whose method on its resource invokes another function', () => {
      expect(check([api('GET', '/users/{id}'), api('DELETE', '/users/{id}', 'Other')])).toEqual([
        expect.stringContaining('routes DELETE /users/{id}'),
      ]);
    });

    it('fails an Api event for a route the handler does not have', () => {
      expect(
        check([api('GET', '/users/{id}'), api('DELETE', '/users/{id}'), api('PATCH', '/users/{id}')]),
      ).toEqual([
        expect.stringContaining('sends PATCH /users/{id} to it, but its handler has no such route'),
      ]);
    });

    it('fails routes it cannot read', () => {
      const { failures } = checkEventSources({
        handler: handler(['aws-lambda#APIGatewayProxyEvent'], {
          underivable: 'a route is not an object literal',
        }),
        wirings: wired([api('ANY', '/{proxy+}')]),
        methods: [api('ANY', '/{proxy+}')],
        functionId: 'Fn',
      });
      expect(failures).toEqual([expect.stringContaining('cannot derive the routes')]);
    });
  });
});

describe('wiredSources', () => {
  const arn = { 'Fn::GetAtt': ['Fn', 'Arn'] };
  const template: CfnTemplate = {
    Resources: {
      Fn: { Type: 'AWS::Lambda::Function' },
      Queue: { Type: 'AWS::SQS::Queue' },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
      },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'] },
          Targets: [{ Arn: arn, Id: 't' }],
        },
      },
      Bucket: {
        Type: 'AWS::S3::Bucket',
        Properties: {
          NotificationConfiguration: {
            LambdaConfigurations: [{ Event: 's3:ObjectRemoved:*', Function: arn }],
          },
        },
      },
      Subscription: { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'lambda', Endpoint: arn } },
      Api: {
        Type: 'AWS::ApiGateway::RestApi',
        Properties: {
          Body: {
            paths: {
              '/users': {
                get: {
                  security: [{ Cognito: [] }],
                  'x-amazon-apigateway-integration': {
                    type: 'aws_proxy',
                    uri: {
                      'Fn::Sub':
                        'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations',
                    },
                  },
                },
                options: { 'x-amazon-apigateway-integration': { type: 'mock' } },
              },
            },
          },
        },
      },
    },
  };

  it('finds API methods, queues, rules, bucket notifications and subscriptions that invoke the function', () => {
    // Act
    const wirings = wiredSources(template, 'Fn', { Mapping: 'Jobs', 'Api GET /users': 'ListUsers' });

    // Assess
    expect(wirings.map((wiring) => [wiring.class, wiring.label])).toEqual([
      ['api', 'Api event ListUsers (GET /users)'],
      ['sqs', 'SQS event Jobs'],
      ['s3-object-created', 'EventBridge rule Rule'],
      ['s3-other', 'S3 notification s3:ObjectRemoved:* on Bucket'],
      ['sns', 'SNS subscription Subscription'],
    ]);
    expect(apiMethods(template)).toEqual([
      {
        apiId: 'Api',
        path: '/users',
        method: 'GET',
        http: false,
        functionId: 'Fn',
        authorizers: ['Cognito'],
      },
      { apiId: 'Api', path: '/users', method: 'OPTIONS', http: false, authorizers: [] },
    ]);
  });
});
