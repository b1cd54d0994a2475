import { Injectable, Logger } from '@nestjs/common';
import { isProvisioning } from '../../domain/domain-state';
import { policyIndicatorValue } from '../../domain/dns-records';
import { MtaStsError } from '../../domain/errors';
import { AuditService } from '../../services/audit.service';
import { DomainsService } from '../../services/domains.service';
import { PolicyChange, PolicyService } from '../../services/policy.service';
import { ProvisioningService } from '../../services/provisioning.service';
import { RenewalService } from '../../services/renewal.service';
import { RetirementService } from '../../services/retirement.service';
import { failedAction } from '../actor';
import { StorageFailures } from '../storage-locations';
import type { Flash } from './flash';

/**
 * The pages' actions: each calls its service and says what happened in one flash, the
 * failures included (a refusal in its own words, storage trouble in words that say what
 * to do), and logs the outcome once.
 */
@Injectable()
export class PageActions {
  private readonly logger = new Logger('MtaSts');

  constructor(
    private readonly domains: DomainsService,
    private readonly provisioning: ProvisioningService,
    private readonly policies: PolicyService,
    private readonly renewals: RenewalService,
    private readonly retirement: RetirementService,
    private readonly storage: StorageFailures,
    private readonly audit: AuditService,
  ) {}

  /** Add: the flash, and the domain's name when its card exists. */
  async add(domain: unknown, actor: string): Promise<{ flash: Flash; domain?: string }> {
    try {
      const view = await this.domains.add(domain, actor);
      return {
        flash: { kind: 'success', text: `${view.displayName} was added. Publish the DNS records below, then Enable.` },
        domain: view.domain,
      };
    } catch (error) {
      return { flash: this.failure(error, { domain, action: 'add', actor }) };
    }
  }

  /** A card's action; undefined for an action there is no such thing as. */
  async perform(
    domain: string,
    action: string,
    body: Record<string, unknown>,
    actor: string,
  ): Promise<{ flash: Flash; ok: boolean } | undefined> {
    try {
      const flash = await this.dispatch(domain, action, body, actor);
      return flash && { flash, ok: true };
    } catch (error) {
      return { flash: this.failure(error, { domain, action, actor }), ok: false };
    }
  }

  private async dispatch(
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

  /** Tells the admin what went wrong, and logs the action's outcome once. */
  private failure(error: unknown, attempt: { domain: unknown; action: string; actor: string }): Flash {
    const known = error instanceof MtaStsError ? error : this.storage.recognize(error);
    this.audit.log(failedAction(attempt, known, error));
    if (known) return { kind: 'error', text: known.message };
    this.logger.error(`Page action failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { kind: 'error', text: 'Something unexpected went wrong; the details are in the panel’s log.' };
  }
}
