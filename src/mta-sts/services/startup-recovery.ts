import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SERVING_STATES } from '../domain/domain-state';
import { DomainName } from '../domain/hostname';
import { policyOf } from '../domain/policy-id';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { WebServer } from '../ports/web-server.port';
import { DataDirectory } from './data-directory';
import { EnableRun } from './enable-run';
import { PolicyHost } from './policy-host';
import { RetirementSweep } from './retirement-sweep';

/** What start-up puts right after a stop at any point, before any other work runs. */
@Injectable()
export class StartupRecovery implements OnApplicationBootstrap {
  private readonly logger = new Logger('MtaSts');

  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(WebServer) private readonly web: WebServer,
    @Inject(Clock) private readonly clock: Clock,
    private readonly host: PolicyHost,
    private readonly dataDirectory: DataDirectory,
    private readonly retirements: RetirementSweep,
    private readonly run: EnableRun,
  ) {}

  /**
   * After a stop at any point: serving domains get their policy file back from the
   * database (the database is written first, so it holds the newest intent), retirements
   * that came due are finished, and domains that were provisioning pick up where they were.
   * After a restore from backup (`.restored` in the data directory), every serving domain's
   * site is written to nginx again, so a fresh machine serves them all.
   */
  async onApplicationBootstrap(): Promise<void> {
    const startedAt = this.clock.now();
    await this.dataDirectory.removeStaleTemporaries();
    await this.web.resync().catch((error: unknown) => {
      this.logger.error(`Could not make nginx load the current configuration at start-up: ${String(error)}`);
    });
    const restored = await this.dataDirectory.restoredFromBackup();
    let failures = 0;
    // A page at a time: a server with thousands of domains never holds them all at once.
    for await (const entity of this.store.stream(SERVING_STATES)) {
      await this.restorePolicyFile(entity).catch((error: unknown) => {
        this.logger.error(`Could not restore the policy file of ${entity.name}: ${String(error)}`);
      });
      if (!restored) continue;
      await this.host.serve(DomainName.fromValidated(entity.name), true).catch((error: unknown) => {
        failures++;
        this.logger.error(`Could not serve ${entity.name} again after the restore: ${String(error)}`);
      });
    }
    // Kept while a site failed, so the next start tries again.
    if (restored && failures === 0) await this.dataDirectory.clearRestoredMarker();
    await this.retirements.finishDue();
    const interrupted = await this.store.findInStates(['provisioning']);
    for (const entity of interrupted) {
      this.logger.log(`Resuming provisioning of ${entity.name} (stopped at ${entity.step ?? 'start'})`);
      this.run.start(DomainName.fromValidated(entity.name));
    }
    // In the background: start-up does not wait for it (see removeStaleCertificateTemporaries).
    void this.dataDirectory.removeStaleCertificateTemporaries(startedAt).catch((error: unknown) => {
      this.logger.warn(`Could not look for stale temporary files among the certificates: ${String(error)}`);
    });
  }

  private async restorePolicyFile(entity: MtaStsDomainEntity): Promise<void> {
    const policy = policyOf(entity);
    if (!policy) return;
    if ((await this.host.readPolicy(entity.name)) === policy.text) return;
    this.logger.warn(`Rewriting the policy file of ${entity.name} (id ${policy.id}) after an interrupted change`);
    await this.host.writePolicy(entity.name, policy.text);
    if (entity.servedPolicyId !== policy.id) {
      await this.store.update(entity.id, {
        servedPolicyId: policy.id,
        policyPublishedAt: this.clock.now(),
        policyVisibleAt: null,
      });
    }
  }
}
