import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from '../app.module';
import { withContracts } from '../common/api-contract';

/** The OpenAPI document served at /docs; `npm run api:types` types the builder from the same one. */
export function apiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Nudgeflow API')
    .setDescription('Marketer API (Bearer JWT or secret site key), ingestion and decision APIs (write key).')
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
  return withContracts(SwaggerModule.createDocument(app, config));
}

/**
 * The document without a running server: Nest's preview mode reads the routes and their decorators
 * without creating providers, so neither PostgreSQL nor Redis is needed.
 */
export async function previewApiDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), {
    preview: true,
    abortOnError: false,
    logger: false,
  });
  try {
    return apiDocument(app);
  } finally {
    await app.close();
  }
}
