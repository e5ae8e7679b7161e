import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { HttpError } from '@middy/util';
import { UnauthenticatedError } from '@repo/events/cognito-caller';
import { httpError } from './error-body.ts';
import { RequestValidationError } from './validation.ts';

/** An app's own errors as HTTP errors (built with httpError); undefined for an error it does not know. */
export type DomainErrorMapping = (error: unknown) => HttpError | undefined;

/**
 * The one place errors become HTTP responses. Validation errors answer 400 with each issue, a missing
 * identity 401, the app's domain errors what `mapDomainError` says; middy's HTTP errors (415, 404,
 * 405 …) keep their status and headers with a JSON body; anything else is left for http-error-handler's
 * generic 500, so no internals or stack traces reach the client.
 */
export function toHttpError(error: unknown, mapDomainError: DomainErrorMapping): HttpError | undefined {
  if (error instanceof RequestValidationError) {
    return httpError(400, {
      error: 'ValidationError',
      message: error.message,
      details: error.zodError.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  if (error instanceof UnauthenticatedError)
    return httpError(401, { error: 'Unauthorized', message: 'Sign in: the request carries no identity' });
  const domain = mapDomainError(error);
  if (domain) return domain;
  if (isMiddyHttpError(error)) {
    const forbiddenKey = forbiddenJsonKey(error);
    if (forbiddenKey !== undefined) {
      // The parser refuses these keys itself (prototype pollution), before the route's schema sees the body.
      return httpError(400, {
        error: 'ValidationError',
        message: 'The request body is invalid',
        details: [{ path: '', message: `Key "${forbiddenKey}" is not allowed anywhere in the body` }],
      });
    }
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

/** middy onError middleware: maps the error once (toHttpError), and logs it once with the right severity. */
export function mapErrorsToHttp(logger: Logger, mapDomainError: DomainErrorMapping): MiddlewareObj {
  return {
    onError: function mapErrorsToHttpOnError(request) {
      const mapped = toHttpError(request.error, mapDomainError);
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

function isMiddyHttpError(error: unknown): error is HttpError {
  return (
    error instanceof Error &&
    'statusCode' in error &&
    typeof error.statusCode === 'number' &&
    'expose' in error
  );
}

const jsonBodyParser = '@middy/http-json-body-parser';

/** The key http-json-body-parser refused (`__proto__`, or `constructor` holding a `prototype`), if it did. */
function forbiddenJsonKey(error: HttpError): string | undefined {
  const cause = error.cause as { package?: string; data?: unknown } | undefined;
  return cause?.package === jsonBodyParser &&
    error.message === 'Forbidden key in JSON body' &&
    typeof cause.data === 'string'
    ? cause.data
    : undefined;
}

function isJsonParseFailure(error: HttpError): boolean {
  const cause = error.cause as { package?: string } | undefined;
  // Content type and presence are checked before the parser runs (requireJsonBody), and forbidden keys
  // above, so its other errors mean unparsable JSON.
  return cause?.package === jsonBodyParser;
}
