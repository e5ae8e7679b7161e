import { createError, type HttpError } from '@middy/util';

/** The JSON body of every error response: a stable code for programs, a message for people. */
export interface ErrorBody {
  error: string;
  message: string;
  details?: { path: string; message: string }[];
}

/** An HTTP error whose response body is `body` as JSON, with `headers` on the response too. */
export function httpError(statusCode: number, body: ErrorBody, headers?: Record<string, string>): HttpError {
  const error = createError(statusCode, JSON.stringify(body), { expose: true });
  // createError does not copy headers; http-error-handler reads them from the error.
  if (headers) Object.assign(error, { headers });
  return error;
}

/** JSON body of the 500 that http-error-handler sends for anything unexpected: no internals, no stack. */
export const internalErrorBody = JSON.stringify({
  error: 'InternalError',
  message: 'An unexpected error occurred',
} satisfies ErrorBody);
