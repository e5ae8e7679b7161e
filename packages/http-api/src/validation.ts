import type * as z from 'zod/mini';
import type { core } from 'zod/mini';

/** The part of a request a schema checks. */
export type RequestPart = 'body' | 'query' | 'path';

/** A request that fails its schema (body, query string or path); answered 400 with each issue. */
export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  constructor(
    readonly part: RequestPart,
    readonly zodError: core.$ZodError,
  ) {
    super(`The request ${part} is invalid`);
  }
}

/** `value` as `schema` outputs it; throws RequestValidationError naming `part` when it does not fit. */
export function parse<Schema extends z.ZodMiniType>(
  schema: Schema,
  value: unknown,
  part: RequestPart,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) throw new RequestValidationError(part, result.error);
  return result.data;
}
