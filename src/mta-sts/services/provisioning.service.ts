import { Inject, Injectable } from '@nestjs/common';
import { ConflictError } from '../domain/errors';
import { parseDomainName } from '../domain/hostname';
import { enableDecision, startEnable } from '../domain/transitions';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { Actor, SYSTEM_ACTOR } from './audit.service';
import { ChecksService } from './checks.service';
import { DomainLocks } from './domain-locks';
import { DomainView } from './domain-view';
import { withPolicyIdentity } from '../domain/policy-id';
import { DomainsService } from './domains.service';
import { EnableRun } from './enable-run';
import { RetirementService } from './retirement.service';

export interface EnableResult {
  readonly domain: DomainView;
  /** False when provisioning was already running (or the domain is already active). */
  readonly started: boolean;
  /** True when the domain was retiring and Enable cancelled the retirement. */
  readonly cancelledRetirement?: boolean;
}

/**
 * Enable: one action for the admin. The MX look-up runs in the request, so "this domain
 * has no MX records" is an immediate answer; the steps then run in the background
 * (`EnableRun`), and start-up resumes them after a stop (`StartupRecovery`).
 */
@Injectable()
export class ProvisioningService {
  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(Clock) private readonly clock: Clock,
    private readonly catalogue: DomainsService,
    private readonly locks: DomainLocks,
    private readonly checks: ChecksService,
    private readonly retirement: RetirementService,
    private readonly run: EnableRun,
  ) {}

  /**
   * Starts provisioning. The MX look-up runs first, in the request, so "this domain has no
   * MX records" is an immediate answer; the rest runs in the background.
   */
  async enable(input: unknown, actor: Actor = SYSTEM_ACTOR): Promise<EnableResult> {
    const name = parseDomainName(input);
    return this.locks.run(name.ascii, async (held) => {
      const entity = await this.catalogue.find(name);
      const decision = enableDecision(entity.state);
      // Enable on a retiring domain cancels the retirement: the host is still there. Read
      // under the lock, so an Enable queued behind a Disable cancels what it finds.
      if (decision === 'cancel-retirement') {
        return {
          domain: await this.retirement.cancelLocked(held, entity, actor),
          started: false,
          cancelledRetirement: true,
        };
      }
      if (decision === 'already-serving') return { domain: await this.catalogue.view(entity), started: false };
      const mx = await this.catalogue.lookupMx(name);
      const now = this.clock.now();
      const looked = withPolicyIdentity(entity, { mx: mx.patterns, mxProblem: mx.problem, mxCheckedAt: now }, now);
      await this.store.update(entity.id, looked);
      if (mx.problem) throw new ConflictError(`${name.ascii} cannot be enabled: ${mx.problem}`);
      await this.store.apply(entity, startEnable(entity, actor, looked.policyId ?? null));
      await this.checks.refreshBadge(entity.id);
      this.run.start(name);
      return { domain: await this.catalogue.view(await this.catalogue.find(name)), started: true };
    });
  }

  /** Resolves when the domain's provisioning run (if any) has finished. For tests and the demo. */
  async settled(input: unknown): Promise<void> {
    await this.run.settled(parseDomainName(input));
  }
}
