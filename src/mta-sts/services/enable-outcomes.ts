import { Inject, Injectable, Logger } from '@nestjs/common';
import { ProvisioningStep } from '../domain/domain-state';
import { DomainName } from '../domain/hostname';
import type { RenderedPolicy } from '../domain/policy';
import { activate, stepFailed } from '../domain/transitions';
import { trail } from '../domain/wording';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { AuditService } from './audit.service';
import { ChecksService } from './checks.service';
import { PolicyHost } from './policy-host';

/**
 * How an Enable ends: the domain becomes active once its first checks have run and its
 * records follow, or it records the step that failed; the card's badge and the trail
 * follow either way.
 */
@Injectable()
export class EnableOutcomes {
  private readonly logger = new Logger('MtaSts');

  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(Clock) private readonly clock: Clock,
    private readonly host: PolicyHost,
    private readonly checks: ChecksService,
    private readonly audit: AuditService,
  ) {}

  /** Every step passed: the first checks, then active, then the DNS records (the id may be published now). */
  async activated(name: DomainName, policy: RenderedPolicy): Promise<void> {
    // The card should show results as soon as the domain is active, not at the next scheduled run.
    await this.checks.run(await this.store.get(name.ascii)).catch((error: unknown) => {
      this.logger.warn(`First checks of ${name.ascii} failed to run: ${String(error)}`);
    });
    const current = await this.store.get(name.ascii);
    await this.store.apply(current, activate(current, this.clock.now()));
    // Served over HTTPS now: the id may be published (RFC 8461 §8.1).
    await this.host.publishRecords(name, false);
    await this.checks.refreshBadge(current.id);
    this.audit.log({
      domain: name.ascii,
      action: 'provisioned',
      outcome: 'done',
      policyIdAfter: policy.id,
      detail: trail.active(policy.id, name.policyHost),
    });
  }

  /** A step failed: recorded on the domain and in the trail. */
  async failed(name: DomainName, step: ProvisioningStep, message: string): Promise<void> {
    this.audit.log({ domain: name.ascii, action: 'provisioned', outcome: 'failed', step, detail: message });
    const failed = await this.store.findByName(name.ascii);
    if (!failed) return;
    await this.store.apply(failed, stepFailed(step, message));
    await this.checks.refreshBadge(failed.id);
  }
}
