import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { parse, RequestValidationError } from '../src/validation.ts';

const schema = z.strictObject({ name: z.string().check(z.minLength(1)), size: z.optional(z.number()) });

describe('parse', () => {
  it('returns the value as the schema outputs it', () => {
    expect(parse(schema, { name: 'Ada' }, 'body')).toEqual({ name: 'Ada' });
  });

  it('throws a RequestValidationError naming the part and keeping every issue', () => {
    // Act
    let thrown: unknown;
    try {
      parse(schema, { name: '', size: 'big', extra: true }, 'query');
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(RequestValidationError);
    const error = thrown as RequestValidationError;
    expect(error.name).toBe('RequestValidationError');
    expect(error.part).toBe('query');
    expect(error.message).toBe('The request query is invalid');
    expect(error.zodError.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['', 'name', 'size']);
  });
});
