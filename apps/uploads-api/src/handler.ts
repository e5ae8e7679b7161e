import httpRouterHandler, { type Route } from '@middy/http-router';
import { createError } from '@middy/util';
import { createS3Client } from '@repo/aws/s3';
import { callerOf } from '@repo/events/cognito-caller';
import { type ApiHandler, createApiHandler } from '@repo/http-api/api-handler';
import { httpError } from '@repo/http-api/error-body';
import { parsedBody, withJsonBody } from '@repo/http-api/json-body';
import { json } from '@repo/http-api/json-response';
import type { DomainErrorMapping } from '@repo/http-api/map-errors';
import { methodNotAllowedOrNotFound } from '@repo/http-api/not-found';
import { parse } from '@repo/http-api/validation';
import { createObservability, type Observability } from '@repo/logging/observability';
import { traceClient } from '@repo/logging/tracer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
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

const newUploadSchema = z.strictObject({
  contentType: z.enum(uploadContentTypes),
  size: z.number().check(z.int(), z.minimum(1)),
});
const uploadPathSchema = z.object({ uploadId: z.uuid() });

/**
 * The largest `POST /uploads` body, in bytes. The body only declares an upload (`{"contentType":
 * "image/avif","size":5368709120}` is under 60 bytes); the image itself goes straight to S3 through the
 * link. 4 KiB leaves room for whitespace and pretty-printing while refusing anything that is not such
 * a declaration before it is parsed.
 */
const maxRequestBodyBytes = 4 * 1024;

/**
 * The uploads API (API Gateway REST, Cognito authorizer): `POST /uploads` hands the signed-in caller a
 * link to upload one image under their own prefix; `GET /uploads/{uploadId}` gives links to its sizes.
 * Only the caller's own uploads are ever looked at: another's id answers as an unknown one (404).
 */
export function createHandler({ observability, config, ...deps }: UploadsApiDependencies): ApiHandler {
  const { metrics } = observability;
  const jsonBody = withJsonBody(maxRequestBodyBytes);
  const routes: Route<APIGatewayProxyEvent, APIGatewayProxyResult>[] = [
    {
      method: 'POST',
      path: '/uploads',
      handler: jsonBody(async (event) => {
        const { id } = callerOf(event);
        const request = parse(newUploadSchema, parsedBody(event), 'body');
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
        const { uploadId } = parse(uploadPathSchema, event.pathParameters ?? {}, 'path');
        const found = await findUploadOutputs(id, uploadId, deps);
        if (!found) throw createError(404, `No upload ${uploadId}`);
        return json(200, found);
      },
    },
  ];

  return createApiHandler({
    observability,
    cors: { origin: config.CORS_ALLOWED_ORIGIN },
    mapDomainError: uploadsErrorToHttp,
    router: httpRouterHandler({ routes, notFoundResponse: methodNotAllowedOrNotFound(routes) }),
  });
}

/** The uploads API's own errors as HTTP answers (@repo/http-api maps the rest). */
const uploadsErrorToHttp: DomainErrorMapping = (error) => {
  if (error instanceof UploadTooLargeError)
    return httpError(413, { error: 'UploadTooLarge', message: error.message });
  return undefined;
};

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
