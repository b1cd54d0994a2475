import {
  Controller,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { MailboxRun } from '../ports/report-mailbox.port';
import { MailboxIntake } from '../services/mailbox-intake';
import { DomainReports, ReportsOverview, ReportsView } from '../services/reports-view';
import { ApiAuthGuard } from './api-auth.guard';
import { MtaStsErrorFilter } from './mta-sts-error.filter';

/** The JSON API of TLS reports and policy fetches: per domain, as CSV, and across domains. */
@Controller('api')
@UseGuards(ApiAuthGuard)
@UseFilters(MtaStsErrorFilter)
export class ReportsApiController {
  constructor(
    private readonly view: ReportsView,
    private readonly mailbox: MailboxIntake,
  ) {}

  /** 7/30/90-day totals, failures by type and MX host with what to do, examples, the 7-day fetches. */
  @Get('domains/:domain/reports')
  domain(@Param('domain') domain: string): Promise<DomainReports> {
    return this.view.forDomain(domain);
  }

  /** The daily session counts of the last 90 days, one line per reporter, policy type, result and MX host. */
  @Get('domains/:domain/reports/csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  async csv(@Param('domain') domain: string): Promise<string> {
    return this.view.csv(domain);
  }

  /** Reads the report mailbox now (`reports.imap`); 404 when none is configured. */
  @Post('reports/mailbox')
  @HttpCode(HttpStatus.OK)
  async pollMailbox(): Promise<MailboxRun> {
    const run = await this.mailbox.poll();
    if (!run) throw new NotFoundException('No report mailbox is configured (reports.imap).');
    return run;
  }

  /** Every serving domain: failing first, failure types, domains nobody fetches, domains ready to promote. */
  @Get('reports')
  overview(): Promise<ReportsOverview> {
    return this.view.overview();
  }
}
