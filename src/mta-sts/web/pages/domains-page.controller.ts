import { isProvisioning, isRetiring } from '../../domain/domain-state';
import {
  Body,
  Controller,
  Get,
  Inject,
  Logger,
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
import { MtaStsError } from '../../domain/errors';
import { ResolvedMtaStsOptions } from '../../mta-sts.options';
import { MTA_STS_OPTIONS } from '../../mta-sts.tokens';
import { Clock } from '../../ports/clock.port';
import { DomainsService } from '../../services/domains.service';
import { PolicyChange, PolicyService } from '../../services/policy.service';
import { ProvisioningService } from '../../services/provisioning.service';
import { RenewalService } from '../../services/renewal.service';
import { RetirementService } from '../../services/retirement.service';
import { AuditService } from '../../services/audit.service';
import { cachedUntil } from '../../domain/lifecycle';
import { actorOf, failedAction } from '../actor';
import { PageRenderer } from '../page-renderer';
import { StorageFailures } from '../storage-locations';
import { CSRF_FIELD } from './csrf';
import { PageCsrf } from './page-csrf';
import { Flash, setFlash, takeFlash } from './flash';
import { PageAccessGuard, PageRequest } from './page-access.guard';
import { PageErrorFilter } from './page-error.filter';
import { BADGE_LABELS, cardModel, CONFIRMATIONS, ConfirmedAction, listModel } from './page-models';
import { policyIndicatorValue } from '../../domain/dns-records';
import { MAX_NAME } from '../../domain/hostname';
import { readableTime } from '../../domain/messages';

/**
 * The server-rendered pages: the domain list and one card per domain, with every action a
 * form that posts and redirects. They read stored state only; nothing here waits on DNS,
 * HTTPS or the CA except the actions an admin asked for.
 */
@Controller('mta-sts')
@UseGuards(PageAccessGuard)
@UseFilters(PageErrorFilter)
export class DomainsPageController {
  private readonly logger = new Logger('MtaSts');

  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(Clock) private readonly clock: Clock,
    private readonly domains: DomainsService,
    private readonly provisioning: ProvisioningService,
    private readonly policies: PolicyService,
    private readonly renewals: RenewalService,
    private readonly retirement: RetirementService,
    private readonly audit: AuditService,
    private readonly pages: PageRenderer,
    private readonly storage: StorageFailures,
    private readonly csrf: PageCsrf,
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
    await this.render(request, response, 'domains', listModel(result, query, request.mtaStsRole!, this.clock.now()));
  }

  @Post('domains')
  async add(@Req() request: PageRequest, @Res() response: Response, @Body('domain') domain: unknown): Promise<void> {
    const actor = await actorOf(this.options, request, 'admin');
    try {
      const view = await this.domains.add(domain, actor);
      setFlash(request, response, {
        kind: 'success',
        text: `${view.displayName} was added. Publish the DNS records below, then Enable.`,
      });
      response.redirect(303, this.cardUrl(request, view.domain));
    } catch (error) {
      this.flashError(request, response, error, { domain, action: 'add', actor });
      response.redirect(303, this.pages.base(request));
    }
  }

  @Get('domains/:domain')
  async card(@Req() request: PageRequest, @Res() response: Response, @Param('domain') domain: string): Promise<void> {
    const view = await this.domains.get(domain);
    const actions = await this.audit.recent(view.domain, 10);
    await this.render(request, response, 'domain', cardModel(view, request.mtaStsRole!, this.clock.now(), actions));
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
    await this.render(request, response, 'confirm', {
      title: confirmation.heading,
      ...confirmation,
      // Remove now names the senders' cache time (RFC 8461 §8.3).
      warning:
        action === 'remove-now' && cached > 0 && !isRetiring(view.state)
          ? `Senders may keep a cached policy for this domain for up to ${Math.round(cached / 86_400)} day(s), until ${readableTime(cachedUntil(this.clock.now(), cached))}.`
          : null,
      action,
      domain: view.domain,
      displayName: view.displayName,
      maxAge: view.maxAge,
      reissue: view.reissue,
      canAct: request.mtaStsRole === 'admin',
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
    try {
      const flash = await this.perform(domain, action, body, actor);
      if (!flash) throw new NotFoundException();
      setFlash(request, response, flash);
      response.redirect(303, action === 'remove' ? this.pages.base(request) : card);
    } catch (error) {
      if (error instanceof NotFoundException) throw error;
      this.flashError(request, response, error, { domain, action, actor });
      response.redirect(303, card);
    }
  }

  private async perform(
    domain: string,
    action: string,
    body: Record<string, unknown>,
    actor: string,
  ): Promise<Flash | undefined> {
    // After a change to a served policy, the TXT record must follow (RFC 8461 §8.1). Every
    // change mints an id never announced before, so there is always something to publish.
    const publish = (change: Pick<PolicyChange, 'domain' | 'idChanged' | 'policyChanged'>) => {
      const id = change.idChanged ? change.domain.servedPolicyId : null;
      if (id)
        return ` The policy id is now ${id}: publish _mta-sts TXT "${policyIndicatorValue(id)}" so senders fetch the new policy.`;
      return change.policyChanged ? '' : ' Nothing changed, so there is nothing to publish.';
    };
    switch (action) {
      case 'enable': {
        const { domain: view, cancelledRetirement } = await this.provisioning.enable(domain, actor);
        if (cancelledRetirement) {
          return {
            kind: 'success',
            text: `The retirement is cancelled; the policy is back in testing mode with max_age ${view.maxAge} seconds.${publish({ domain: view, policyChanged: true, idChanged: true })}`,
          };
        }
        return {
          kind: 'info',
          text: isProvisioning(view.state)
            ? 'Enabling: the steps run in the background and this card follows them.'
            : 'This domain is already active.',
        };
      }
      case 'retire': {
        const result = await this.retirement.retire(domain, actor);
        return { kind: 'success', text: `Retiring. ${result.note}` };
      }
      case 'remove-now': {
        const result = await this.retirement.removeNow(domain, actor);
        const records = result.recordsToRemove.map((record) => `${record.name} ${record.type}`).join(', ');
        return {
          kind: 'success',
          text: `The policy is no longer served. Now delete these DNS records: ${records}. ${result.note}`,
        };
      }
      case 'promote': {
        const change = await this.policies.setMode(domain, 'enforce', actor);
        return {
          kind: 'success',
          text: `The policy is now in enforce mode.${publish(change)}`,
        };
      }
      case 'revert': {
        const change = await this.policies.setMode(domain, 'testing', actor);
        return {
          kind: 'success',
          text: `The policy is back in testing mode.${publish(change)}`,
        };
      }
      case 'max-age': {
        const change = await this.policies.setMaxAge(domain, body.maxAge, actor);
        return {
          kind: 'success',
          text: `max_age is now ${change.domain.maxAge} seconds.${publish(change)}`,
        };
      }
      case 'refresh-mx': {
        const change = await this.policies.refreshMx(domain, actor);
        return change.policyChanged
          ? {
              kind: 'success',
              text: `The mx lines now follow the live MX records (${change.domain.mx.join(', ')}).${publish(change)}`,
            }
          : { kind: 'info', text: `The mx lines already match the live MX records (${change.domain.mx.join(', ')}).` };
      }
      case 'checks': {
        const view = await this.domains.runChecks(domain);
        const failing = view.checks.filter((check) => check.status === 'fail').length;
        return {
          kind: failing ? 'error' : 'success',
          text: failing ? `Checks ran: ${failing} failing.` : 'Checks ran: nothing is failing.',
        };
      }
      case 'reissue': {
        const { outcome, allowance } = await this.renewals.reissue(domain, actor);
        const left = `${allowance.remaining} re-issue(s) left this week.`;
        return outcome === 'renewed'
          ? { kind: 'success', text: `A new certificate is installed. ${left}` }
          : {
              kind: 'error',
              text: `The re-issue failed; the current certificate keeps serving. See Renewal below. ${left}`,
            };
      }
      case 'remove':
        await this.domains.remove(domain, actor);
        return { kind: 'success', text: `${domain} was deleted from the panel.` };
      default:
        return undefined;
    }
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

  /** Tells the admin what went wrong, and logs the action's outcome once. */
  private flashError(
    request: PageRequest,
    response: Response,
    error: unknown,
    attempt: { domain: unknown; action: string; actor: string },
  ): void {
    const known = error instanceof MtaStsError ? error : this.storage.recognize(error);
    this.audit.log(failedAction(attempt, known, error));
    if (known) {
      setFlash(request, response, { kind: 'error', text: known.message });
      return;
    }
    this.logger.error(`Page action failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    setFlash(request, response, {
      kind: 'error',
      text: 'Something unexpected went wrong; the details are in the panel’s log.',
    });
  }

  private cardUrl(request: PageRequest, domain: string): string {
    return `${this.pages.base(request)}/domains/${encodeURIComponent(domain)}`;
  }
}
