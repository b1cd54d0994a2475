import { flashes } from '../../domain/wording';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { MtaStsError } from '../../domain/errors';
import { PageRenderer } from '../page-renderer';
import { StorageFailures } from '../storage-locations';
import { PageRequest } from './page-access.guard';

/**
 * Errors on the pages are pages too: an unknown domain is a 404 page in plain words,
 * never Nest's JSON or a stack trace (the log gets the details).
 */
@Injectable()
@Catch()
export class PageErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('MtaSts');

  constructor(
    private readonly pages: PageRenderer,
    private readonly storage: StorageFailures,
  ) {}

  async catch(error: unknown, host: ArgumentsHost): Promise<void> {
    const request = host.switchToHttp().getRequest<PageRequest>();
    const response = host.switchToHttp().getResponse<Response>();
    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = flashes.unexpected;
    const storage = this.storage.recognize(error);
    if (error instanceof MtaStsError && (error.kind === 'not-found' || error.kind === 'invalid')) {
      status = HttpStatus.NOT_FOUND;
      message = error.message;
    } else if (storage) {
      status = HttpStatus.SERVICE_UNAVAILABLE;
      message = storage.message;
      this.logger.warn(storage.message);
    } else if (error instanceof HttpException) {
      status = error.getStatus();
      message = status === HttpStatus.NOT_FOUND ? 'There is no such page.' : error.message;
    } else {
      this.logger.error(`Page failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    if (response.headersSent) return;
    const title = status === HttpStatus.NOT_FOUND ? 'Not found' : 'Something went wrong';
    try {
      await this.pages.send(request, response, status, 'message', { title, message, role: request.mtaStsRole });
    } catch (failure) {
      // The host's layout itself failed: a plain answer rather than none.
      this.logger.error(`Error page failed: ${failure instanceof Error ? failure.message : String(failure)}`);
      if (!response.headersSent) response.status(status).type('text').send(`${title}. ${message}`);
    }
  }
}
