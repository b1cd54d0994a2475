import { ConsoleLogger, DynamicModule, LogLevel } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';

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

/**
 * JSON logs through pino (nestjs-pino): Nest's own messages, the module's (each domain
 * action once, with `event`, `domain`, `action`, `outcome`, `actor` and the policy ids as
 * fields) and one line per request, with credentials redacted.
 */
export function jsonLoggerModule(): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      autoLogging: { ignore: quiet },
    },
  });
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
