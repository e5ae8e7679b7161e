import middy, { type MiddlewareObj } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpErrorHandler from '@middy/http-error-handler';
import httpEventNormalizer from '@middy/http-event-normalizer';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpRouterHandler, { type Route } from '@middy/http-router';
import { createError } from '@middy/util';
import { createS3Client } from '@repo/aws/s3';
import { callerOf, UnauthenticatedError } from '@repo/events/cognito-caller';
import { apiGatewayRequestId } from '@repo/logging/correlation';
import { createObservability, type Observability, observe } from '@repo/logging/observability';
import { traceClient } from '@repo/logging/tracer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { type Config, readConfig } from './config.ts';
import {
  createUploadLink,
  findUploadOutputs,
  type UploadLinkDependencies,
  UploadTooLargeError,
  uploadContentTypes,
} from './uploads.ts';

export interface UploadsApiDependencies extends UploadLinkDependencies {
  observability: Observability;
  config: Pick<Config, 'CORS_ALLOWED_ORIGIN'>;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const newUploadSchema = z.strictObject({
  contentType: z.enum(uploadContentTypes),
  size: z.number().check(z.int(), z.minimum(1)),
});
const uploadPathSchema = z.object({ uploadId: z.uuid() });

/**
 * The uploads API (API Gateway REST, Cognito authorizer): `POST /uploads` hands the signed-in caller a
 * link to upload one image under their own prefix; `GET /uploads/{uploadId}` gives links to its sizes.
 * Only the caller's own uploads are ever looked at: another's id answers as an unknown one (404).
 */
export function createHandler({ observability, config, ...deps }: UploadsApiDependencies): ApiHandler {
  const { metrics } = observability;
  const routes: Route<APIGatewayProxyEvent, APIGatewayProxyResult>[] = [
    {
      method: 'POST',
      path: '/uploads',
      // http-json-body-parser replaces `event.body` with the parsed value (415 for another media type).
      handler: withJsonBody(async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
        const { id } = callerOf(event);
        const request = parse(newUploadSchema, event.body);
        const link = await createUploadLink(id, request, deps);
        metrics.addMetric('UploadLinksIssued', 'Count', 1);
        return json(201, link);
      }),
    },
    {
      method: 'GET',
      path: '/uploads/{uploadId}',
      handler: async (event: APIGatewayProxyEvent) => {
        const { id } = callerOf(event);
        const { uploadId } = parse(uploadPathSchema, event.pathParameters ?? {});
        const found = await findUploadOutputs(id, uploadId, deps);
        if (!found) throw createError(404, `No upload ${uploadId}`);
        return json(200, found);
      },
    },
  ];

  const chain = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(observe(observability, apiGatewayRequestId))
    .use(httpCors({ origin: config.CORS_ALLOWED_ORIGIN, disableBeforePreflightResponse: false }))
    .use(httpErrorHandler({ logger: false, fallbackMessage: JSON.stringify({ error: 'InternalError' }) }))
    .use({ onError: mapErrors })
    .use(httpHeaderNormalizer())
    .use(httpEventNormalizer())
    .handler(httpRouterHandler(routes));
  return chain as ApiHandler;
}

/** The one place errors become answers; anything unknown is left to http-error-handler's 500. */
function mapErrors(request: { error: unknown; response?: APIGatewayProxyResult }): void {
  const { error } = request;
  const answer = (statusCode: number, code: string, message: string) => {
    request.response = json(statusCode, { error: code, message });
  };
  if (error instanceof UnauthenticatedError)
    answer(401, 'Unauthorized', 'Sign in: the request carries no identity');
  else if (error instanceof UploadTooLargeError) answer(413, 'UploadTooLarge', error.message);
  else if (error instanceof ValidationError) answer(400, 'ValidationError', error.message);
  else if (isHttpError(error)) answer(error.statusCode, error.name.replace(/Error$/, ''), error.message);
}

type RouteHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** A route that takes a JSON body. */
const withJsonBody = (route: RouteHandler) =>
  middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpJsonBodyParser() as MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>)
    .handler(route) as unknown as RouteHandler;

class ValidationError extends Error {
  override readonly name = 'ValidationError';
}

function parse<Schema extends z.ZodMiniType>(schema: Schema, value: unknown): z.output<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(
      result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '),
    );
  }
  return result.data;
}

/** middy's HTTP errors below 500 (415 from the body parser, 404 from the router) keep their status. */
const isHttpError = (error: unknown): error is Error & { statusCode: number } => {
  const statusCode = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return error instanceof Error && typeof statusCode === 'number' && statusCode < 500;
};

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

// One container, one set of clients: built at cold start, reused by every invocation.
const config = readConfig();
const observability = createObservability({
  serviceName: config.POWERTOOLS_SERVICE_NAME,
  logLevel: config.POWERTOOLS_LOG_LEVEL,
});

export const handler = createHandler({
  observability,
  config,
  s3: traceClient(observability.tracer, createS3Client({ maxAttempts: config.AWS_MAX_ATTEMPTS })),
  settings: {
    bucket: config.UPLOADS_BUCKET_NAME,
    inputPrefix: config.INPUT_PREFIX,
    outputPrefix: config.OUTPUT_PREFIX,
    maxBytes: config.MAX_UPLOAD_BYTES,
    linkTtlSeconds: config.LINK_TTL_SECONDS,
  },
});
