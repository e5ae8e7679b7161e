import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { createError, type HttpError } from '@middy/util';
import { UnauthenticatedError } from '@repo/events/cognito-caller';
import type { core } from 'zod/mini';
import {
  InvalidPageTokenError,
  UserAlreadyExistsError,
  UserNotFoundError,
  UsersStoreUnavailableError,
} from './users.ts';

/** A request that fails its schema (body, query string or path). */
export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  constructor(
    readonly part: 'body' | 'query' | 'path',
    readonly zodError: core.$ZodError,
  ) {
    super(`The request ${part} is invalid`);
  }
}

/** Seconds a client should wait before retrying after a 503 (DynamoDB throttling clears in about that). */
const retryAfterSeconds = 1;

/** The JSON body of every error response: a stable code for programs, a message for people. */
export interface ErrorBody {
  error: string;
  message: string;
  details?: { path: string; message: string }[];
}

/**
 * The one place errors become HTTP responses. Domain and validation errors get their own status;
 * middy's HTTP errors (415, 404, 405 …) keep theirs with a JSON body; anything else is left for
 * http-error-handler's generic 500, so no internals or stack traces reach the client.
 */
export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof RequestValidationError) {
    return httpError(400, {
      error: 'ValidationError',
      message: error.message,
      details: error.zodError.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  if (error instanceof UnauthenticatedError)
    return httpError(401, { error: 'Unauthorized', message: 'Sign in: the request carries no identity' });
  if (error instanceof UserNotFoundError)
    return httpError(404, { error: 'UserNotFound', message: error.message });
  if (error instanceof UserAlreadyExistsError)
    return httpError(409, { error: 'UserExists', message: error.message });
  if (error instanceof InvalidPageTokenError) {
    return httpError(400, { error: 'InvalidNextToken', message: error.message });
  }
  if (error instanceof UsersStoreUnavailableError) {
    return httpError(
      503,
      { error: 'ServiceUnavailable', message: 'The service is busy; retry shortly' },
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
  if (isMiddyHttpError(error)) {
    if (isJsonParseFailure(error)) {
      return httpError(400, { error: 'MalformedJson', message: 'The request body is not valid JSON' });
    }
    return httpError(
      error.statusCode,
      { error: error.name.replace(/Error$/, ''), message: error.message },
      (error as { headers?: Record<string, string> }).headers,
    );
  }
  return undefined;
}

/** JSON body of the 500 that http-error-handler sends for anything unexpected. */
export const internalErrorBody = JSON.stringify({
  error: 'InternalError',
  message: 'An unexpected error occurred',
} satisfies ErrorBody);

/** middy onError middleware: maps the error once, and logs it once with the right severity. */
export function mapErrorsToHttp(logger: Logger): MiddlewareObj {
  return {
    onError: function mapErrorsToHttpOnError(request) {
      const mapped = toHttpError(request.error);
      if (mapped === undefined) {
        logger.error('Unhandled error', request.error as Error);
        return;
      }
      if (mapped.statusCode >= 500) {
        logger.error('Request failed', { statusCode: mapped.statusCode, error: request.error as Error });
      } else {
        // A client mistake: one line naming it is enough; a stack trace would only be noise.
        logger.info('Request rejected', {
          statusCode: mapped.statusCode,
          reason: (request.error as Error).name,
        });
      }
      request.error = mapped;
    },
  };
}

function httpError(statusCode: number, body: ErrorBody, headers?: Record<string, string>): HttpError {
  const error = createError(statusCode, JSON.stringify(body), { expose: true });
  // createError does not copy headers; http-error-handler reads them from the error.
  if (headers) Object.assign(error, { headers });
  return error;
}

function isMiddyHttpError(error: unknown): error is HttpError {
  return (
    error instanceof Error &&
    'statusCode' in error &&
    typeof error.statusCode === 'number' &&
    'expose' in error
  );
}

function isJsonParseFailure(error: HttpError): boolean {
  const cause = error.cause as { package?: string } | undefined;
  // Content type and presence are checked before the parser runs, so its errors mean unparsable JSON.
  return cause?.package === '@middy/http-json-body-parser';
}
