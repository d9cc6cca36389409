import { HttpStatus } from '@nestjs/common';

/** Every error a client can see has a stable code; the message names the field or resource. */
export class AppError extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const notFound = (what: string, code = 'NOT_FOUND') =>
  new AppError(HttpStatus.NOT_FOUND, code, `${what} not found`);
export const forbidden = (message: string) => new AppError(HttpStatus.FORBIDDEN, 'FORBIDDEN_ROLE', message);
export const unauthorized = (code: string, message: string) =>
  new AppError(HttpStatus.UNAUTHORIZED, code, message);
export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(HttpStatus.CONFLICT, code, message, details);
export const tooManyRequests = (code: string, retryAfterSeconds: number) =>
  new AppError(
    HttpStatus.TOO_MANY_REQUESTS,
    code,
    `too many requests, retry in ${retryAfterSeconds}s`,
    undefined,
    {
      'retry-after': String(retryAfterSeconds),
    },
  );
