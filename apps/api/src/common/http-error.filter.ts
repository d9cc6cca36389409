import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from './app-error';
import { validationError } from './zod-pipe';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  [key: string]: unknown;
}

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'TOO_MANY_REQUESTS',
};

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: 'request body is too large',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'content-type is not supported',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'body: empty JSON body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'body: is not valid JSON' },
};

/** Maps anything thrown to `{statusCode, code, message, ...details}`; never a stack trace. */
export function toErrorBody(err: unknown): { body: ErrorBody; headers?: Record<string, string> } {
  if (err instanceof AppError) {
    return {
      body: { statusCode: err.status, code: err.code, message: err.message, ...err.details },
      headers: err.headers,
    };
  }
  if (err instanceof z.ZodError) return toErrorBody(validationError(err));
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const res = err.getResponse();
    const message =
      typeof res === 'string' ? res : String((res as { message?: unknown }).message ?? err.message);
    if (status === 400 && /not valid JSON|JSON body/i.test(message)) {
      return { body: { statusCode: 400, code: 'INVALID_JSON', message: 'body: is not valid JSON' } };
    }
    const code =
      status === 404 && message.startsWith('Cannot ') ? 'ROUTE_NOT_FOUND' : (STATUS_CODES[status] ?? 'ERROR');
    return { body: { statusCode: status, code, message } };
  }
  const e = err as { code?: string; statusCode?: number; message?: string } | undefined;
  if (e?.code && FASTIFY_CODES[e.code]) {
    const m = FASTIFY_CODES[e.code];
    return { body: { statusCode: m.status, code: m.code, message: m.message } };
  }
  if (
    e?.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' ||
    (e?.statusCode === 400 && e.code?.startsWith('FST_'))
  ) {
    return { body: { statusCode: 400, code: 'BAD_REQUEST', message: e.message ?? 'bad request' } };
  }
  return { body: { statusCode: 500, code: 'INTERNAL', message: 'internal error' } };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const { body, headers } = toErrorBody(err);
    if (body.statusCode >= HttpStatus.INTERNAL_SERVER_ERROR) {
      this.logger.error({ err, reqId: req?.id, url: req?.url }, 'unhandled error');
    }
    if (headers) void reply.headers(headers);
    // A handler may have set another type (CSV, SSE) before failing; its error is JSON all the same.
    void reply.removeHeader('content-disposition');
    void reply.header('content-type', 'application/json; charset=utf-8');
    void reply.status(body.statusCode).send(body);
  }
}
