import { isProvisioning } from '../domain/domain-state';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { AuditService } from '../services/audit.service';
import { RemoveResult, RetireResult, RetirementService } from '../services/retirement.service';
import { actorOf } from './actor';
import { DomainView } from '../services/domain-view';
import { DomainsService } from '../services/domains.service';
import { ProvisioningService } from '../services/provisioning.service';
import { RenewalService } from '../services/renewal.service';
import { PolicyChange, PolicyService } from '../services/policy.service';
import { DisableDto, SetMaxAgeDto, SetModeDto } from './policy-settings.dto';
import { AddDomainDto } from './add-domain.dto';
import { DEFAULT_API_PAGE_SIZE, ListDomainsQueryDto } from './list-domains.dto';
import { ApiAuthGuard } from './api-auth.guard';
import { MtaStsErrorFilter } from './mta-sts-error.filter';
import { BodyShapePipe } from './body-shape.pipe';

export interface DomainListAnswer {
  readonly domains: DomainView[];
  readonly total: number;
  readonly page: number;
  readonly pages: number;
  readonly pageSize: number;
}

/** The JSON API. Every answer about a domain is a `DomainView`. */
@Controller('api/domains')
@UseGuards(ApiAuthGuard)
@UseFilters(MtaStsErrorFilter)
@UsePipes(new BodyShapePipe(), new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class DomainsApiController {
  constructor(
    private readonly domains: DomainsService,
    private readonly provisioning: ProvisioningService,
    private readonly renewals: RenewalService,
    private readonly policies: PolicyService,
    private readonly retirement: RetirementService,
    private readonly audit: AuditService,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
  ) {}

  private actor(request: Request) {
    return actorOf(this.options, request, 'api');
  }

  /** One page of domains, by name; `total` and `pages` tell a client how many more to fetch. */
  @Get()
  async list(@Query() query: ListDomainsQueryDto): Promise<DomainListAnswer> {
    const { items, ...page } = await this.domains.page({
      search: query.q,
      badge: query.badge,
      page: query.page,
      pageSize: query.pageSize ?? DEFAULT_API_PAGE_SIZE,
    });
    return { domains: items, ...page };
  }

  @Post()
  @HttpCode(HttpStatus.CREATED)
  async add(@Body() body: AddDomainDto, @Req() request: Request): Promise<DomainView> {
    return this.domains.add(body.domain, await this.actor(request));
  }

  @Get(':domain')
  get(@Param('domain') domain: string): Promise<DomainView> {
    return this.domains.get(domain);
  }

  /** 202 while provisioning runs (also when it was already running); 200 when already active. */
  @Post(':domain/enable')
  async enable(
    @Param('domain') domain: string,
    @Req() request: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DomainView> {
    const result = await this.provisioning.enable(domain, await this.actor(request));
    res.status(isProvisioning(result.domain.state) ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return result.domain;
  }

  /**
   * Retires the domain (RFC 8461 §8.3): `mode: none` is served until every cached policy
   * has expired, then the policy host goes. `{"now": true}` removes the host at once.
   */
  @Post(':domain/disable')
  @HttpCode(HttpStatus.OK)
  async disable(
    @Param('domain') domain: string,
    @Body() body: DisableDto,
    @Req() request: Request,
  ): Promise<RetireResult | RemoveResult> {
    const actor = await this.actor(request);
    return body?.now ? this.retirement.removeNow(domain, actor) : this.retirement.retire(domain, actor);
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
    const view = await this.domains.get(domain);
    return { events: await this.domains.history(domain), actions: await this.audit.recent(view.domain) };
  }

  /** The audit trail: who did what and when, with the policy id before and after, newest first. */
  @Get(':domain/actions')
  async actions(@Param('domain') domain: string) {
    const view = await this.domains.get(domain);
    return { actions: await this.audit.recent(view.domain) };
  }

  /** Orders a new certificate now (at most 3 times per domain in 7 days). */
  @Post(':domain/reissue')
  @HttpCode(HttpStatus.OK)
  async reissue(@Param('domain') domain: string, @Req() request: Request) {
    const result = await this.renewals.reissue(domain, await this.actor(request));
    return { ...result, domain: await this.domains.get(domain) };
  }

  /** Sets the policy mode; an active domain serves the new policy at once (then publish the new id). */
  @Post(':domain/mode')
  @HttpCode(HttpStatus.OK)
  async setMode(
    @Param('domain') domain: string,
    @Body() body: SetModeDto,
    @Req() request: Request,
  ): Promise<PolicyChange> {
    return this.policies.setMode(domain, body.mode, await this.actor(request), {
      overrideReports: body.overrideReports === true,
    });
  }

  @Post(':domain/max-age')
  @HttpCode(HttpStatus.OK)
  async setMaxAge(
    @Param('domain') domain: string,
    @Body() body: SetMaxAgeDto,
    @Req() request: Request,
  ): Promise<PolicyChange> {
    return this.policies.setMaxAge(domain, body.maxAge, await this.actor(request));
  }

  /** Rebuilds the mx lines from the live MX records. */
  @Post(':domain/refresh-mx')
  @HttpCode(HttpStatus.OK)
  async refreshMx(@Param('domain') domain: string, @Req() request: Request): Promise<PolicyChange> {
    return this.policies.refreshMx(domain, await this.actor(request));
  }

  @Delete(':domain')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('domain') domain: string, @Req() request: Request): Promise<void> {
    return this.domains.remove(domain, await this.actor(request));
  }
}
