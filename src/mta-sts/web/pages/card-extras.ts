import { Injectable } from '@nestjs/common';
import { isRemoved, isServing } from '../../domain/domain-state';
import { ActionRecord, AuditService } from '../../services/audit.service';
import { DomainView } from '../../services/domain-view';
import { DomainReports, ReportsView } from '../../services/reports-view';

/** What a card shows besides the domain itself: its recent actions, and its reports once it serves or senders reported on it. */
@Injectable()
export class CardExtras {
  constructor(
    private readonly audit: AuditService,
    private readonly reports: ReportsView,
  ) {}

  async read(view: DomainView): Promise<{ actions: ActionRecord[]; reports: DomainReports | null }> {
    const [actions, reports] = await Promise.all([
      this.audit.recent(view.domain, 10),
      isRemoved(view.state) ? null : this.reports.forDomain(view.domain),
    ]);
    // A domain that never served has nothing to report, unless senders reported on it already.
    const shown = reports && (isServing(view.state) || reports.summary.reportDays > 0) ? reports : null;
    return { actions, reports: shown };
  }
}
