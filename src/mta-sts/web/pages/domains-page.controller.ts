import { isRetiring } from '../../domain/domain-state';
import {
  Body,
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { Badge } from '../../domain/checks';
import { ResolvedMtaStsOptions } from '../../mta-sts.options';
import { MTA_STS_OPTIONS } from '../../mta-sts.tokens';
import { Clock } from '../../ports/clock.port';
import { DomainsService } from '../../services/domains.service';
import { cachedUntil } from '../../domain/lifecycle';
import { actorOf } from '../actor';
import { PageRenderer } from '../page-renderer';
import { CardExtras } from './card-extras';
import { nodesModel } from './node-models';
import { promotionModel, reportsModel } from './report-models';
import { CSRF_FIELD } from './csrf';
import { PageCsrf } from './page-csrf';
import { PageActions } from './page-actions';
import { setFlash, takeFlash } from './flash';
import { PageAccessGuard, PageRequest } from './page-access.guard';
import { PageErrorFilter } from './page-error.filter';
import { BADGE_LABELS, cardModel, CONFIRMATIONS, ConfirmedAction, listModel } from './page-models';
import { MAX_NAME } from '../../domain/hostname';
import { cachedPolicyWarning, publishing } from '../../domain/wording';

/**
 * The server-rendered pages: the domain list and one card per domain, with every action a
 * form that posts and redirects. They read stored state only; nothing here waits on DNS,
 * HTTPS or the CA except the actions an admin asked for.
 */
@Controller('mta-sts')
@UseGuards(PageAccessGuard)
@UseFilters(PageErrorFilter)
export class DomainsPageController {
  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(Clock) private readonly clock: Clock,
    private readonly domains: DomainsService,
    private readonly extras: CardExtras,
    private readonly pages: PageRenderer,
    private readonly csrf: PageCsrf,
    private readonly actions: PageActions,
  ) {}

  @Get()
  async list(
    @Req() request: PageRequest,
    @Res() response: Response,
    @Query('q') q?: string,
    @Query('badge') badge?: string,
    @Query('page') page?: string,
  ): Promise<void> {
    const query = {
      search: typeof q === 'string' ? q.slice(0, MAX_NAME) : '',
      badge: typeof badge === 'string' && Object.hasOwn(BADGE_LABELS, badge) ? (badge as Badge) : ('' as const),
    };
    const result = await this.domains.page({
      search: query.search,
      badge: query.badge || undefined,
      page: typeof page === 'string' && /^\d{1,6}$/.test(page) ? Number(page) : 1,
    });
    const nodes = await this.extras.nodesOf(result.items);
    await this.render(
      request,
      response,
      'domains',
      listModel(result, query, request.mtaStsRole!, this.clock.now(), nodes),
    );
  }

  @Post('domains')
  async add(@Req() request: PageRequest, @Res() response: Response, @Body('domain') domain: unknown): Promise<void> {
    const actor = await actorOf(this.options, request, 'admin');
    const added = await this.actions.add(domain, actor);
    setFlash(request, response, added.flash);
    response.redirect(303, added.domain ? this.cardUrl(request, added.domain) : this.pages.base(request));
  }

  @Get('domains/:domain')
  async card(@Req() request: PageRequest, @Res() response: Response, @Param('domain') domain: string): Promise<void> {
    const view = await this.domains.get(domain);
    const { actions, reports, nodes } = await this.extras.read(view);
    await this.render(request, response, 'domain', {
      ...cardModel(view, request.mtaStsRole!, this.clock.now(), actions),
      reports: reports && reportsModel(reports),
      nodes: nodesModel(nodes),
    });
  }

  @Get('domains/:domain/confirm/:action')
  async confirm(
    @Req() request: PageRequest,
    @Res() response: Response,
    @Param('domain') domain: string,
    @Param('action') action: string,
  ): Promise<void> {
    // Own keys only: a name from the URL must not reach Object.prototype (`constructor`).
    if (!Object.hasOwn(CONFIRMATIONS, action)) throw new NotFoundException();
    const view = await this.domains.get(domain);
    const confirmation = CONFIRMATIONS[action as ConfirmedAction];
    const cached = view.lifecycle.largestMaxAgeServed;
    // Publish DNS records shows what it will write, read from the zone now.
    const publication = action === 'publish-dns' ? await this.actions.publicationPreview(view.domain) : null;
    // Promote lists what the senders' reports and fetches say beside the checks.
    const reports = action === 'promote' ? (await this.extras.read(view)).reports : null;
    await this.render(request, response, 'confirm', {
      publication: publication && {
        ...publication,
        steps: publication.steps.map((step) => ({ ...step, write: step.kind !== 'keep' })),
        nothingToWrite: publication.zone !== null && publication.steps.every((step) => step.kind === 'keep'),
        manualNote: publication.zone === null ? publishing.manual(view.displayName) : null,
      },
      promotion: reports && promotionModel(reports.promotion),
      title: confirmation.heading,
      ...confirmation,
      // Remove now names the senders' cache time (RFC 8461 §8.3).
      warning:
        action === 'remove-now' && cached > 0 && !isRetiring(view.state)
          ? cachedPolicyWarning(cached, cachedUntil(this.clock.now(), cached))
          : null,
      action,
      domain: view.domain,
      displayName: view.displayName,
      maxAge: view.maxAge,
      reissue: view.reissue,
      canAct:
        request.mtaStsRole === 'admin' &&
        (!publication || (publication.zone !== null && publication.refusals.length === 0)),
    });
  }

  @Post('domains/:domain/:action')
  async act(
    @Req() request: PageRequest,
    @Res() response: Response,
    @Param('domain') domain: string,
    @Param('action') action: string,
    @Body() body: Record<string, unknown>,
  ): Promise<void> {
    const card = this.cardUrl(request, domain);
    if (Object.hasOwn(CONFIRMATIONS, action) && body.confirm !== 'yes') {
      response.redirect(303, `${card}/confirm/${action}`);
      return;
    }
    const actor = await actorOf(this.options, request, 'admin');
    const done = await this.actions.perform(domain, action, body, actor);
    if (!done) throw new NotFoundException();
    setFlash(request, response, done.flash);
    response.redirect(303, action === 'remove' && done.ok ? this.pages.base(request) : card);
  }

  private async render(
    request: PageRequest,
    response: Response,
    view: string,
    model: Record<string, unknown>,
  ): Promise<void> {
    const flash = takeFlash(request, response);
    // What the flash just said is not said again at the top of the card.
    const said = (text: unknown) => typeof text === 'string' && text !== '' && Boolean(flash?.text.includes(text));
    await this.pages.send(request, response, 200, view, {
      ...model,
      ...(Array.isArray(model.alerts) ? { alerts: model.alerts.filter((alert) => !said(alert)) } : {}),
      ...(said(model.mxProblem) ? { mxProblem: null } : {}),
      csrf: { field: CSRF_FIELD, token: await this.csrf.token(request, response) },
      flash,
      role: request.mtaStsRole,
      logoutUrl: this.options.pages.logoutUrl,
    });
  }

  private cardUrl(request: PageRequest, domain: string): string {
    return `${this.pages.base(request)}/domains/${encodeURIComponent(domain)}`;
  }
}
