/**
 * The API's request and response types, read from `schema.gen.ts` (generated from the API's OpenAPI
 * document by `npm run api:types`; `npm run typecheck` fails when it drifts). Name a shape here, never
 * retype it by hand.
 */
import type { components, paths } from './schema.gen';

type Schemas = components['schemas'];

/** A response shape the API documents, by its name in the OpenAPI document. */
export type Schema<K extends keyof Schemas> = Schemas[K];

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The JSON body an operation accepts (`RequestBody<'/api/sites', 'post'>`). */
export type RequestBody<P extends keyof paths, M extends Method> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
