import { Controller, Get, Header, UseFilters, UseGuards } from '@nestjs/common';
import { DomainsService } from '../services/domains.service';
import { PageAuthGuard } from './api-auth.guard';
import { MtaStsErrorFilter } from './mta-sts-error.filter';
import { PageRenderer } from './page-renderer';

/** A read-only overview of every domain, rendered on the server from stored state. */
@Controller('mta-sts')
@UseGuards(PageAuthGuard)
@UseFilters(MtaStsErrorFilter)
export class DomainsPageController {
  constructor(
    private readonly domains: DomainsService,
    private readonly pages: PageRenderer,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async overview(): Promise<string> {
    const domains = await this.domains.list();
    return this.pages.render('domains', { title: 'MTA-STS', domains });
  }
}
