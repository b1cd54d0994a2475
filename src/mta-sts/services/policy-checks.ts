import { Injectable } from '@nestjs/common';
import { isSteady } from '../domain/domain-state';
import { PromotionRefusedError } from '../domain/errors';
import { promotionBlockers } from '../domain/lifecycle';
import { PromotionEvidence, reportsBlockPromotion } from '../domain/report-summary';
import { reportWords } from '../domain/wording';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { ChecksService } from './checks.service';
import { ReportsView } from './reports-view';

/**
 * What a policy change checks: before Promote, fresh readiness checks and the senders'
 * TLS reports of the last 14 days; after a change, the checks again (or the badge).
 */
@Injectable()
export class PolicyChecks {
  constructor(
    private readonly checks: ChecksService,
    private readonly reports: ReportsView,
  ) {}

  /**
   * Refuses Promote while the domain is not steady, while a fresh check fails, and, unless
   * the admin overrides it, while the reports of the last 14 days hold failures. Returns the
   * report evidence that was overridden, for the trail, or null.
   */
  async assertPromotable(entity: MtaStsDomainEntity, overrideReports: boolean): Promise<PromotionEvidence | null> {
    if (!isSteady(entity.state)) {
      throw new PromotionRefusedError(entity.name, [
        'Enable the domain in testing mode first, and promote it once its checks pass.',
      ]);
    }
    const results = await this.checks.run(entity, { fresh: true });
    const blockers = promotionBlockers(results, this.checks.enabledChecks);
    const evidence = await this.reports.promotionEvidence(entity.name);
    const reportsBlock = reportsBlockPromotion(evidence);
    if (reportsBlock && !overrideReports) {
      blockers.push(reportWords.promotionBlocked(evidence.failedSessions, evidence.failureTypes));
    }
    if (blockers.length > 0) throw new PromotionRefusedError(entity.name, blockers);
    return reportsBlock ? evidence : null;
  }

  /** After a change: a new id is checked at once (it is not yet visible in DNS); otherwise the badge follows. */
  async afterChange(entity: MtaStsDomainEntity, idChanged: boolean): Promise<void> {
    if (idChanged) await this.checks.run(entity);
    else await this.checks.refreshBadge(entity.id);
  }
}
