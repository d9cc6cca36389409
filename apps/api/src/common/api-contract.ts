import { applyDecorators } from '@nestjs/common';
import { ApiResponse, OpenAPIObject } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';

/**
 * The response shapes the API documents: each is a zod schema registered here under a name, shown in the
 * OpenAPI document as `components.schemas[name]` and typed into the builder by `npm run api:types`.
 * A controller method that declares `@ApiZodResponse(schema)` also declares its return type as
 * `Promise<Wire<typeof schema>>`, so the compiler checks that what it returns is what the docs promise.
 */
export const apiContracts = z.registry<{ id: string }>();

/** Registers a response schema under its name in the OpenAPI document. */
export function contract<S extends z.ZodType>(id: string, schema: S): S {
  apiContracts.add(schema, { id });
  return schema;
}

/** What a contract holds before JSON serialisation (dates are `Date` until they reach the wire). */
export type Wire<S extends z.ZodType> = z.output<S>;

/** A timestamp: a `Date` in the server, an ISO 8601 string on the wire. */
export const isoDate = () =>
  z
    .custom<Date | string>((v) => v instanceof Date || typeof v === 'string')
    .meta({ type: 'string', format: 'date-time' });

/**
 * A value whose type lives in a shared library (libs/flow-schema): the document names the type and
 * leaves it open (`unknown` in the generated types), and both sides import it from the library, so it
 * still has one definition.
 */
export const libraryType = <T>(name: string) =>
  z.custom<T>(() => true).meta({ description: `${name} (libs/flow-schema)` });

const ref = (schema: z.ZodType) => {
  const id = apiContracts.get(schema)?.id;
  if (!id) throw new Error('ApiZodResponse: register the schema with contract(name, schema) first');
  return { $ref: `#/components/schemas/${id}` };
};

/** `@ApiZodResponse(Schema)` or `@ApiZodResponse([Schema])` (a list); `status` is the route's success code. */
export const ApiZodResponse = (schema: z.ZodType | [z.ZodType], status = 200) =>
  applyDecorators(
    ApiResponse({
      status,
      description: '',
      schema: Array.isArray(schema) ? { type: 'array', items: ref(schema[0]) } : ref(schema),
    }),
  );

/** JSON Schema (OpenAPI 3.0 dialect) of a request body or query, inlined where it is used. */
export const inputJsonSchema = (schema: z.ZodType): object => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'openapi-3.0',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
};

/** Adds every registered contract to the document's `components.schemas`. */
export function withContracts(document: OpenAPIObject): OpenAPIObject {
  const { schemas } = z.toJSONSchema(apiContracts, {
    io: 'output',
    target: 'openapi-3.0',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const components = Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema as SchemaObject]),
  );
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...components },
  };
  return document;
}
