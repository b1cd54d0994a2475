import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../ports/clock.port';
import { DnsPublishing } from './dns-publishing';
import { ReportIntake } from './report-intake';
import type { CheckResult } from '../domain/check-verdicts';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { AutomaticChanges } from './automatic-changes';
import { RetirementSweep } from './retirement-sweep';

/** What a run of the checks leads to: rare work, done only when something changed. */
@Injectable()
export class CheckFollowUps {
  private readonly logger = new Logger('MtaSts');

  constructor(
    @Inject(Clock) private readonly clock: Clock,
    private readonly automatic: AutomaticChanges,
    private readonly retirements: RetirementSweep,
    private readonly publishing: DnsPublishing,
    private readonly reports: ReportIntake,
  ) {}

  /**
   * After a domain's checks: the MX watch follows the live MX set, the enforce guard looks
   * at the risks, and where the panel writes the zone, records DNS lacks are written again
   * (a failed attempt, a record deleted by hand), once any backoff has passed.
   */
  async domainChecked(entity: MtaStsDomainEntity, results: readonly CheckResult[], liveMx?: string[]): Promise<void> {
    if (liveMx) await this.automatic.followLiveMx(entity, liveMx);
    await this.automatic.guardEnforce(entity, results);
    if (this.publishing.shouldFollow(entity, results, this.clock.now()))
      await this.publishing.follow(entity.name, false);
  }

  /** After a whole sweep: the retirements that came due, and reports past their retention. */
  async sweepDone(): Promise<number> {
    const finished = await this.retirements.finishDue();
    await this.reports.prune().catch((error: unknown) => {
      this.logger.warn(`Removing TLS reports past their retention failed: ${String(error)}`);
    });
    return finished;
  }
}
