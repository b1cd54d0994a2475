import { Controller, HttpCode, HttpStatus, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ScheduledJobs } from '../jobs/scheduled-jobs';
import { SweepReport } from '../services/sweep';
import { ApiAuthGuard } from './api-auth.guard';
import { MtaStsErrorFilter } from './mta-sts-error.filter';

/** Runs the scheduled work now, for every active domain (the answer waits for the run). */
@Controller('api')
@UseGuards(ApiAuthGuard)
@UseFilters(MtaStsErrorFilter)
export class JobsApiController {
  constructor(private readonly jobs: ScheduledJobs) {}

  /** 200 with the report; `{ skipped: true }` when a run is already going on. */
  @Post('checks')
  @HttpCode(HttpStatus.OK)
  async checks(): Promise<SweepReport | { skipped: true }> {
    return (await this.jobs.runChecks()) ?? { skipped: true };
  }

  @Post('renewals')
  @HttpCode(HttpStatus.OK)
  async renewals(): Promise<SweepReport | { skipped: true }> {
    return (await this.jobs.runRenewals()) ?? { skipped: true };
  }
}
