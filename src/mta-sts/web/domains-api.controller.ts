import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Res,
  UseFilters,
  UseGuards,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import type { Response } from 'express';
import { DomainView } from '../services/domain-view';
import { DomainsService } from '../services/domains.service';
import { DisableResult, ProvisioningService } from '../services/provisioning.service';
import { AddDomainDto } from './add-domain.dto';
import { ApiAuthGuard } from './api-auth.guard';
import { MtaStsErrorFilter } from './mta-sts-error.filter';

/** The JSON API. Every answer about a domain is a `DomainView`. */
@Controller('api/domains')
@UseGuards(ApiAuthGuard)
@UseFilters(MtaStsErrorFilter)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }))
export class DomainsApiController {
  constructor(
    private readonly domains: DomainsService,
    private readonly provisioning: ProvisioningService,
  ) {}

  @Get()
  async list(): Promise<{ domains: DomainView[] }> {
    return { domains: await this.domains.list() };
  }

  @Post()
  @HttpCode(HttpStatus.CREATED)
  add(@Body() body: AddDomainDto): Promise<DomainView> {
    return this.domains.add(body.domain);
  }

  @Get(':domain')
  get(@Param('domain') domain: string): Promise<DomainView> {
    return this.domains.get(domain);
  }

  /** 202 while provisioning runs (also when it was already running); 200 when already active. */
  @Post(':domain/enable')
  async enable(@Param('domain') domain: string, @Res({ passthrough: true }) res: Response): Promise<DomainView> {
    const result = await this.provisioning.enable(domain);
    res.status(result.domain.state === 'provisioning' ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return result.domain;
  }

  @Post(':domain/disable')
  @HttpCode(HttpStatus.OK)
  disable(@Param('domain') domain: string): Promise<DisableResult> {
    return this.provisioning.disable(domain);
  }

  @Delete(':domain')
  @HttpCode(HttpStatus.NO_CONTENT)
  remove(@Param('domain') domain: string): Promise<void> {
    return this.domains.remove(domain);
  }
}
