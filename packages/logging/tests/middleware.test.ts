import middy from '@middy/core';
import { restApiEvent } from '@repo/testing/api-gateway-event';
import { lambdaContext } from '@repo/testing/lambda-context';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiGatewayRequestId } from '../src/correlation.ts';
import { createLogger } from '../src/logger.ts';
import { withLogging } from '../src/middleware.ts';

let lines: Record<string, unknown>[] = [];

beforeEach(() => {
  lines = [];
  // Powertools writes INFO and below to stdout, WARN and above to stderr, one JSON document per line.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      return true;
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

function loggedHandler() {
  const logger = createLogger({ serviceName: 'users-api', logLevel: 'DEBUG' });
  return middy(async () => {
    logger.info('first');
    logger.debug('second', { detail: 1 });
    logger.appendKeys({ userId: 'u-1' });
    logger.warn('third');
    return { statusCode: 200 };
  }).use(withLogging(logger, apiGatewayRequestId));
}

describe('withLogging', () => {
  it('puts the service, the Lambda context and the API Gateway request id on every line', async () => {
    const handler = loggedHandler();
    const event = restApiEvent({ method: 'GET', path: '/users' });
    const context = lambdaContext({ functionName: 'users-api' });

    await handler(event, context);

    expect(lines.map((line) => line.message)).toEqual(['first', 'second', 'third']);
    for (const line of lines) {
      expect(line).toMatchObject({
        service: 'users-api',
        correlation_id: event.requestContext.requestId,
        function_request_id: context.awsRequestId,
        function_name: 'users-api',
        cold_start: true,
      });
    }
  });

  it('does not carry one invocation’s keys into the next', async () => {
    const handler = loggedHandler();
    const first = restApiEvent({ method: 'GET', path: '/users' });
    const second = restApiEvent({ method: 'GET', path: '/users' });

    await handler(first, lambdaContext());
    lines = [];
    await handler(second, lambdaContext());

    expect(lines[0]).toMatchObject({ correlation_id: second.requestContext.requestId, cold_start: false });
    expect(lines[0]).not.toHaveProperty('userId');
  });

  it('logs at the configured level and above only', async () => {
    const logger = createLogger({ serviceName: 'svc', logLevel: 'WARN' });

    logger.info('hidden');
    logger.warn('shown');

    expect(lines.map((line) => line.message)).toEqual(['shown']);
  });
});
