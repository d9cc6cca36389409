import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

export function createRootLogger(level: string, name: string): Logger {
  return pino({
    level,
    name,
    base: { pid: process.pid, service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** Routes Nest's own logging into the same structured pino stream as requests and jobs. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  private emit(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, params: unknown[]) {
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const log = context ? this.root.child({ context }) : this.root;
    if (message && typeof message === 'object') {
      const [msg] = params;
      log[level](message as object, typeof msg === 'string' ? msg : undefined);
    } else {
      const [stack] = params;
      log[level](stack && level === 'error' ? { stack } : {}, String(message));
    }
  }

  log(message: unknown, ...params: unknown[]) {
    this.emit('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.emit('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.emit('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.emit('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.emit('trace', message, params);
  }
}
