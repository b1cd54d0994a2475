import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DomainName } from '../domain/hostname';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { WebServer } from '../ports/web-server.port';
import { DataDirectory } from './data-directory';
import { EnableRun } from './enable-run';
import { PolicyFilesRecovery } from './policy-files-recovery';
import { RetirementSweep } from './retirement-sweep';

/** What start-up puts right after a stop at any point, before any other work runs. */
@Injectable()
export class StartupRecovery implements OnApplicationBootstrap {
  private readonly logger = new Logger('MtaSts');

  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(WebServer) private readonly web: WebServer,
    @Inject(Clock) private readonly clock: Clock,
    private readonly policyFiles: PolicyFilesRecovery,
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
    await this.policyFiles.run();
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
}
