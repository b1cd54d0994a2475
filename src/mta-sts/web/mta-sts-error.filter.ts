import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { MtaStsError, OperationFailedError, PromotionRefusedError } from '../domain/errors';

const STATUS: Record<MtaStsError['kind'], number> = {
  invalid: HttpStatus.BAD_REQUEST,
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  failed: HttpStatus.BAD_GATEWAY,
};

/**
 * Maps the module's own errors to JSON answers on the module's controllers only (no
 * global filter, which would take over the host's errors). Other errors pass to Nest.
 */
@Catch(MtaStsError)
export class MtaStsErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('MtaSts');

  catch(error: MtaStsError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const status = STATUS[error.kind];
    if (error.kind === 'failed') this.logger.warn(error.message);
    response.status(status).json({
      statusCode: status,
      error: error.kind,
      message: error.message,
      ...(error instanceof OperationFailedError && error.detail ? { detail: error.detail } : {}),
      ...(error instanceof PromotionRefusedError ? { reasons: error.reasons } : {}),
    });
  }
}
