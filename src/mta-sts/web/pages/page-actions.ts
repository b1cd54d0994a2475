import { Injectable, Logger } from '@nestjs/common';
import { isProvisioning } from '../../domain/domain-state';
import { flashes } from '../../domain/wording';
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
        flash: { kind: 'success', text: flashes.added(view.displayName) },
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
    const change = (result: Pick<PolicyChange, 'domain' | 'idChanged' | 'policyChanged'>) => ({
      newId: result.idChanged ? result.domain.servedPolicyId : null,
      policyChanged: result.policyChanged,
    });
    switch (action) {
      case 'enable': {
        const { domain: view, cancelledRetirement } = await this.provisioning.enable(domain, actor);
        if (cancelledRetirement) {
          return { kind: 'success', text: flashes.retirementCancelled(view.maxAge, view.servedPolicyId) };
        }
        return { kind: 'info', text: isProvisioning(view.state) ? flashes.enabling : flashes.alreadyActive };
      }
      case 'retire': {
        const result = await this.retirement.retire(domain, actor);
        return { kind: 'success', text: flashes.retiring(result.note) };
      }
      case 'remove-now': {
        const result = await this.retirement.removeNow(domain, actor);
        return { kind: 'success', text: flashes.removedNow(result.recordsToRemove, result.note) };
      }
      case 'promote': {
        const result = await this.policies.setMode(domain, 'enforce', actor);
        return { kind: 'success', text: flashes.promoted(change(result)) };
      }
      case 'revert': {
        const result = await this.policies.setMode(domain, 'testing', actor);
        return { kind: 'success', text: flashes.reverted(change(result)) };
      }
      case 'max-age': {
        const result = await this.policies.setMaxAge(domain, body.maxAge, actor);
        return { kind: 'success', text: flashes.maxAge(result.domain.maxAge, change(result)) };
      }
      case 'refresh-mx': {
        const result = await this.policies.refreshMx(domain, actor);
        return result.policyChanged
          ? { kind: 'success', text: flashes.mxFollowed(result.domain.mx, change(result)) }
          : { kind: 'info', text: flashes.mxAlreadyMatch(result.domain.mx) };
      }
      case 'checks': {
        const view = await this.domains.runChecks(domain);
        const failing = view.checks.filter((check) => check.status === 'fail').length;
        return { kind: failing ? 'error' : 'success', text: flashes.checksRan(failing) };
      }
      case 'reissue': {
        const { outcome, allowance } = await this.renewals.reissue(domain, actor);
        return outcome === 'renewed'
          ? { kind: 'success', text: flashes.reissued(allowance.remaining) }
          : { kind: 'error', text: flashes.reissueFailed(allowance.remaining) };
      }
      case 'remove':
        await this.domains.remove(domain, actor);
        return { kind: 'success', text: flashes.deleted(domain) };
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
    return { kind: 'error', text: flashes.unexpected };
  }
}
