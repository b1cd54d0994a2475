import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { MtaStsError, OperationFailedError, PromotionRefusedError } from '../domain/errors';
import { StorageFailures } from './storage-locations';

const STATUS: Record<MtaStsError['kind'], number> = {
  invalid: HttpStatus.BAD_REQUEST,
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  failed: HttpStatus.BAD_GATEWAY,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

/**
 * Maps errors to JSON answers on the module's controllers only (no global filter, which
 * would take over the host's errors): the module's own errors, and storage failures (a
 * read-only or full disk, a locked database) in words that say what to do. HTTP
 * exceptions answer as Nest answers them; anything else is a 500 with the details logged.
 */
@Injectable()
@Catch()
export class MtaStsErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('MtaSts');

  constructor(private readonly storage: StorageFailures) {}

  catch(caught: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (caught instanceof HttpException) {
      const body = caught.getResponse();
      response
        .status(caught.getStatus())
        .json(typeof body === 'object' ? body : { statusCode: caught.getStatus(), message: body });
      return;
    }
    const error = caught instanceof MtaStsError ? caught : this.storage.recognize(caught);
    if (!error) {
      this.logger.error(
        `Request failed: ${caught instanceof Error ? (caught.stack ?? caught.message) : String(caught)}`,
      );
      response
        .status(HttpStatus.INTERNAL_SERVER_ERROR)
        .json({ statusCode: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' });
      return;
    }
    const status = STATUS[error.kind];
    if (error.kind === 'failed' || error.kind === 'unavailable') this.logger.warn(error.message);
    response.status(status).json({
      statusCode: status,
      error: error.kind,
      message: error.message,
      ...(error instanceof OperationFailedError && error.detail ? { detail: error.detail } : {}),
      ...(error instanceof PromotionRefusedError ? { reasons: error.reasons } : {}),
    });
  }
}
