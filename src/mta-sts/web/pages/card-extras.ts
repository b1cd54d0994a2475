import { Injectable } from '@nestjs/common';
import { isRemoved, isServing } from '../../domain/domain-state';
import { ActionRecord, AuditService } from '../../services/audit.service';
import { DomainView } from '../../services/domain-view';
import { DomainReports, ReportsView } from '../../services/reports-view';
import { NodeServing, NodesSummary, NodesView } from '../../services/cluster/nodes-view';

/**
 * What a card shows besides the domain itself: its recent actions, its reports once it
 * serves or senders reported on it, and (with several nodes) where each node stands.
 */
@Injectable()
export class CardExtras {
  constructor(
    private readonly audit: AuditService,
    private readonly reports: ReportsView,
    private readonly nodes: NodesView,
  ) {}

  async read(
    view: DomainView,
  ): Promise<{ actions: ActionRecord[]; reports: DomainReports | null; nodes: NodeServing[] | undefined }> {
    const [actions, reports, nodes] = await Promise.all([
      this.audit.recent(view.domain, 10),
      isRemoved(view.state) ? null : this.reports.forDomain(view.domain),
      this.nodes.forDomain(view),
    ]);
    // A domain that never served has nothing to report, unless senders reported on it already.
    const shown = reports && (isServing(view.state) || reports.summary.reportDays > 0) ? reports : null;
    return { actions, reports: shown, nodes };
  }

  /** For the list: how many nodes are in sync for each domain on the page (nothing on a single node). */
  nodesOf(views: readonly DomainView[]): Promise<Map<string, NodesSummary>> {
    return this.nodes.summaries(views);
  }
}
