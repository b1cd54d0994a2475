import { ConsoleLogger, LoggerService, LogLevel } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import pino, { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { RequestHandler } from 'express';

/** `MTA_STS_LOG_FORMAT`: lines for a person reading journalctl, or JSON for a log pipeline. */
export type LogFormat = 'text' | 'json';

/** What a log must never hold: credentials and session cookies. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'req.body.password',
  'req.body._csrf',
];

/** Requests not worth a line each: health checks, metrics scrapes and the pages' assets. */
function quiet(request: IncomingMessage): boolean {
  const path = (request.url ?? '').split('?')[0];
  return path === '/healthz' || path === '/metrics' || path.includes('/assets/');
}

const LEVELS: Record<LogLevel, 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal'> = {
  log: 'info',
  error: 'error',
  warn: 'warn',
  debug: 'debug',
  verbose: 'trace',
  fatal: 'fatal',
};

/**
 * Nest's logger interface over pino: Nest's own messages and the module's go out as one
 * JSON object per line, the context (`MtaSts`, `Panel`, `NestApplication`) as a field,
 * and a structured entry's fields (each domain action's `event`, `domain`, `action`,
 * `outcome`, …) as fields of their own. nestjs-pino does this too, but its releases for
 * Nest 12 need Node 22, and the panel runs on Node 20.
 */
export class PinoNestLogger implements LoggerService {
  readonly pino: Logger;

  constructor(destination?: pino.DestinationStream) {
    this.pino = pino({ level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes the context last, and for errors a stack before it. */
  private write(level: LogLevel, message: unknown, params: unknown[]): void {
    const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
    const rest = context === undefined ? params : params.slice(0, -1);
    const stack = level === 'error' && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = { ...(context ? { context } : {}), ...(stack ? { stack } : {}) };
    if (message instanceof Error) {
      this.pino[LEVELS[level]]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.pino[LEVELS[level]]({ ...fields, ...message });
    } else {
      this.pino[LEVELS[level]](fields, String(message));
    }
  }
}

/** One JSON line per request (pino-http), with credentials redacted; health checks and assets left out. */
export function requestLogger(logger: PinoNestLogger): RequestHandler {
  return pinoHttp({ logger: logger.pino, autoLogging: { ignore: quiet } }) as unknown as RequestHandler;
}

/**
 * The text logger: Nest's console logger, except that the module's structured entries
 * (an object with `msg`) print as their sentence on one line rather than as JSON.
 */
export class PanelTextLogger extends ConsoleLogger {
  protected stringifyMessage(message: unknown, logLevel: LogLevel): string {
    if (typeof message === 'object' && message !== null && typeof (message as { msg?: unknown }).msg === 'string') {
      return super.stringifyMessage((message as { msg: string }).msg, logLevel);
    }
    return super.stringifyMessage(message, logLevel);
  }
}
