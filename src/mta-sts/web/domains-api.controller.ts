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
import { RenewalService } from '../services/renewal.service';
import { PolicyChange, PolicyService } from '../services/policy.service';
import { SetMaxAgeDto, SetModeDto } from './policy-settings.dto';
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
    private readonly renewals: RenewalService,
    private readonly policies: PolicyService,
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

  /** Runs the readiness checks now; answers with the domain and its fresh results. */
  @Post(':domain/checks')
  @HttpCode(HttpStatus.OK)
  runChecks(@Param('domain') domain: string): Promise<DomainView> {
    return this.domains.runChecks(domain);
  }

  /** The recent status changes of the domain's checks, newest first. */
  @Get(':domain/history')
  async history(@Param('domain') domain: string) {
    return { events: await this.domains.history(domain) };
  }

  /** Orders a new certificate now (at most 3 times per domain in 7 days). */
  @Post(':domain/reissue')
  @HttpCode(HttpStatus.OK)
  async reissue(@Param('domain') domain: string) {
    const result = await this.renewals.reissue(domain);
    return { ...result, domain: await this.domains.get(domain) };
  }

  /** Sets the policy mode; an active domain serves the new policy at once (then publish the new id). */
  @Post(':domain/mode')
  @HttpCode(HttpStatus.OK)
  setMode(@Param('domain') domain: string, @Body() body: SetModeDto): Promise<PolicyChange> {
    return this.policies.setMode(domain, body.mode);
  }

  @Post(':domain/max-age')
  @HttpCode(HttpStatus.OK)
  setMaxAge(@Param('domain') domain: string, @Body() body: SetMaxAgeDto): Promise<PolicyChange> {
    return this.policies.setMaxAge(domain, body.maxAge);
  }

  /** Rebuilds the mx lines from the live MX records. */
  @Post(':domain/refresh-mx')
  @HttpCode(HttpStatus.OK)
  refreshMx(@Param('domain') domain: string): Promise<PolicyChange> {
    return this.policies.refreshMx(domain);
  }

  @Delete(':domain')
  @HttpCode(HttpStatus.NO_CONTENT)
  remove(@Param('domain') domain: string): Promise<void> {
    return this.domains.remove(domain);
  }
}
