import { Injectable } from '@nestjs/common';
import { isProvisioning } from '../../domain/domain-state';
import { flashes } from '../../domain/wording';
import { DnsPublishing } from '../../services/dns-publishing';
import { DomainsService } from '../../services/domains.service';
import { ProvisioningService } from '../../services/provisioning.service';
import { RenewalService } from '../../services/renewal.service';
import { RetirementService } from '../../services/retirement.service';
import type { Flash } from './flash';

/** The card's actions on the domain itself: Enable, Disable, checks, certificates, DNS, Delete. */
@Injectable()
export class LifecycleActions {
  constructor(
    private readonly domains: DomainsService,
    private readonly provisioning: ProvisioningService,
    private readonly renewals: RenewalService,
    private readonly retirement: RetirementService,
    private readonly publishing: DnsPublishing,
  ) {}

  async add(domain: unknown, actor: string): Promise<{ flash: Flash; domain: string }> {
    const view = await this.domains.add(domain, actor);
    return { flash: { kind: 'success', text: flashes.added(view.displayName) }, domain: view.domain };
  }

  async handle(domain: string, action: string, actor: string): Promise<Flash | undefined> {
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
      case 'publish-dns': {
        const result = await this.publishing.publish(domain, actor);
        return { kind: result.waitingFor.length ? 'info' : 'success', text: result.note };
      }
      case 'remove':
        await this.domains.remove(domain, actor);
        return { kind: 'success', text: flashes.deleted(domain) };
      default:
        return undefined;
    }
  }

  /** What Publish DNS records would write, for its confirmation page. */
  publicationPreview(domain: string) {
    return this.publishing.preview(domain);
  }
}
