import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { MtaStsError, OperationFailedError, PromotionRefusedError } from '../domain/errors';
import type { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { AuditService } from '../services/audit.service';
import { actorOf, failedAction } from './actor';
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

  constructor(
    private readonly storage: StorageFailures,
    private readonly audit: AuditService,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
  ) {}

  catch(caught: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const request = host.switchToHttp().getRequest<Request>();
    if (caught instanceof HttpException) {
      const body = caught.getResponse();
      response
        .status(caught.getStatus())
        .json(typeof body === 'object' ? body : { statusCode: caught.getStatus(), message: body });
      return;
    }
    const error = caught instanceof MtaStsError ? caught : this.storage.recognize(caught);
    void this.logAction(request, error, caught);
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

  /** A domain action the API refused or could not do (`POST /domains/x/enable`, `DELETE /domains/x`), logged once. */
  private async logAction(request: Request, known: MtaStsError | undefined, caught: unknown): Promise<void> {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    const body = request.body as { domain?: unknown } | undefined;
    const domain = (request.params as Record<string, string | undefined>).domain ?? body?.domain;
    if (domain === undefined) return;
    const route = String((request.route as { path?: unknown } | undefined)?.path ?? '');
    const last = route.split('/').pop() ?? '';
    const action = last === ':domain' ? 'delete' : request.params.domain === undefined ? 'add' : last;
    try {
      const actor = await actorOf(this.options, request, 'api');
      this.audit.log(failedAction({ domain, action, actor }, known, caught));
    } catch (error) {
      this.logger.warn(`Could not log a failed ${action}: ${String(error)}`);
    }
  }
}
