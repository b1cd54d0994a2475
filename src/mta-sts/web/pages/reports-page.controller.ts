import { Controller, Get, Inject, Param, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ResolvedMtaStsOptions } from '../../mta-sts.options';
import { MTA_STS_OPTIONS } from '../../mta-sts.tokens';
import { ReportsView } from '../../services/reports-view';
import { PageRenderer } from '../page-renderer';
import { CSRF_FIELD } from './csrf';
import { PageAccessGuard, PageRequest } from './page-access.guard';
import { PageCsrf } from './page-csrf';
import { PageErrorFilter } from './page-error.filter';
import { overviewModel } from './report-models';

/** The reports across domains, for providers, and a domain's daily counts as CSV. Read-only. */
@Controller('mta-sts')
@UseGuards(PageAccessGuard)
@UseFilters(PageErrorFilter)
export class ReportsPageController {
  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    private readonly pages: PageRenderer,
    private readonly csrf: PageCsrf,
    private readonly view: ReportsView,
  ) {}

  @Get('reports')
  async overview(@Req() request: PageRequest, @Res() response: Response): Promise<void> {
    const model = overviewModel(await this.view.overview());
    await this.pages.send(request, response, 200, 'reports', {
      ...model,
      title: 'TLS reports across domains',
      csrf: { field: CSRF_FIELD, token: await this.csrf.token(request, response) },
      role: request.mtaStsRole,
      logoutUrl: this.options.pages.logoutUrl,
    });
  }

  @Get('domains/:domain/reports.csv')
  async csv(@Param('domain') domain: string, @Res() response: Response): Promise<void> {
    const text = await this.view.csv(domain);
    const file = `tls-reports-${domain.replace(/[^a-z0-9.-]/gi, '_')}.csv`;
    response
      .status(200)
      .type('text/csv; charset=utf-8')
      .setHeader('Content-Disposition', `attachment; filename="${file}"`)
      .setHeader('Cache-Control', 'no-store')
      .setHeader('X-Content-Type-Options', 'nosniff')
      .send(text);
  }
}
