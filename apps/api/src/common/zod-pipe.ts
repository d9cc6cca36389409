import { applyDecorators, HttpStatus, PipeTransform } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { z } from 'zod';
import { inputJsonSchema } from './api-contract';
import { AppError, notFound } from './app-error';
import { UUID_RE } from './tokens';

export function validationError(error: z.ZodError): AppError {
  const issues = error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    code: i.code,
    message: i.message,
  }));
  const first = issues[0];
  const message = first ? `${first.path || 'body'}: ${first.message}` : 'invalid input';
  return new AppError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', message, { path: first?.path, issues });
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error);
  return result.data;
}

/** `@Body(zodPipe(schema))`: validates and types the request body with the same schema the docs show. */
export const zodPipe = <S extends z.ZodType>(schema: S): PipeTransform<unknown, z.output<S>> => ({
  transform: (value: unknown) => parseWith(schema, value),
});

export const ApiZodBody = (schema: z.ZodType) =>
  applyDecorators(ApiBody({ schema: inputJsonSchema(schema) }));

/** `@Param('flowId', idParam('flow'))`: a malformed id is simply not found (never a database error). */
export const idParam = (what: string): PipeTransform<string, string> => ({
  transform: (value: string) => {
    if (!UUID_RE.test(value)) throw notFound(what, `${what.toUpperCase().replace(/ /g, '_')}_NOT_FOUND`);
    return value.toLowerCase();
  },
});
