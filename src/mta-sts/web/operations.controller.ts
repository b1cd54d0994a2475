import { Controller, Get, Header, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { OperationsService } from '../services/operations.service';
import { ApiAuthGuard } from './api-auth.guard';
import { MtaStsErrorFilter } from './mta-sts-error.filter';

/** Health for load balancers and service managers; figures for Prometheus. */
@Controller()
@UseFilters(MtaStsErrorFilter)
export class OperationsController {
  constructor(private readonly operations: OperationsService) {}

  /**
   * 200 when the database answers, nginx's configuration loads, the jobs are scheduled and (on
   * a node of a cluster) the node follows the database; 503 otherwise, with what is wrong.
   */
  @Get('healthz')
  @Header('Cache-Control', 'no-store')
  async health(@Res() response: Response): Promise<void> {
    const report = await this.operations.health();
    response.status(report.ok ? 200 : 503).json(report);
  }

  /** Prometheus text format; needs the API token (or the host's `authorizeApi`). */
  @Get('metrics')
  @UseGuards(ApiAuthGuard)
  async metrics(@Res() response: Response): Promise<void> {
    response.type(this.operations.registry.contentType).send(await this.operations.registry.metrics());
  }
}
