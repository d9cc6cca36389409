// The baseline for single-event track: the smallest NestJS 12 + Fastify POST route (same stack as the API).
import 'reflect-metadata';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

class MinimalController {
  hit() {
    return { success: true };
  }
}
const d = Object.getOwnPropertyDescriptor(MinimalController.prototype, 'hit');
HttpCode(202)(MinimalController.prototype, 'hit', d);
Post('v1/track')(MinimalController.prototype, 'hit', d);
Controller()(MinimalController);
class MinimalModule {}
Module({ controllers: [MinimalController] })(MinimalModule);

const app = await NestFactory.create(MinimalModule, new FastifyAdapter({ bodyLimit: 512 * 1024 }), {
  logger: false,
});
await app.listen({ port: Number(process.env.PORT ?? 3999), host: '127.0.0.1' });
console.log('minimal route listening');
