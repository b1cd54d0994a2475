import { Injectable } from '@nestjs/common';
import type { CheckResult } from '../domain/check-verdicts';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { AutomaticChanges } from './automatic-changes';
import { RetirementSweep } from './retirement-sweep';

/** What a run of the checks leads to: rare work, done only when something changed. */
@Injectable()
export class CheckFollowUps {
  constructor(
    private readonly automatic: AutomaticChanges,
    private readonly retirements: RetirementSweep,
  ) {}

  /** After a domain's checks: the MX watch follows the live MX set, and the enforce guard looks at the risks. */
  async domainChecked(entity: MtaStsDomainEntity, results: readonly CheckResult[], liveMx?: string[]): Promise<void> {
    if (liveMx) await this.automatic.followLiveMx(entity, liveMx);
    await this.automatic.guardEnforce(entity, results);
  }

  /** After a whole sweep: the retirements that came due. */
  sweepDone(): Promise<number> {
    return this.retirements.finishDue();
  }
}
