import { Controller, Get, Header, HttpStatus, Inject, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/principal';
import { AppError } from '../common/app-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from './metrics.service';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Prometheus scrape. The registry names routes, queues and internals, so it is never anonymous:
 * with `METRICS_TOKEN` set it needs `Authorization: Bearer <token>`, without it it is not served.
 */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  private readonly expected: Buffer | null;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) cfg: AppConfig,
  ) {
    this.expected = cfg.METRICS_TOKEN ? digest(cfg.METRICS_TOKEN) : null;
  }

  @Get()
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4')
  scrape(@Req() req: FastifyRequest): Promise<string> {
    if (!this.expected)
      throw new AppError(HttpStatus.NOT_FOUND, 'METRICS_DISABLED', 'metrics: set METRICS_TOKEN to scrape');
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    // Compared as digests: equal length, constant time.
    if (!m || !timingSafeEqual(digest(m[1]), this.expected))
      throw new AppError(
        HttpStatus.UNAUTHORIZED,
        'METRICS_TOKEN_INVALID',
        'metrics: a valid bearer token is required',
      );
    return this.metrics.registry.metrics();
  }
}
