import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThan, MoreThanOrEqual } from 'typeorm';
import { SessionCount, utcDay } from '../domain/report-summary';
import type { DailySessions, FailureExample } from '../domain/tls-report';
import { ReceivedReport, TlsReports } from '../ports/tls-reports.port';
import { MtaStsTlsDailyEntity, MtaStsTlsFailureEntity, MtaStsTlsReportEntity } from './mta-sts-tls-report.entity';
import { MtaStsDomainActivityEntity } from './mta-sts-domain-activity.entity';
import {
  SUMMARY_COLUMNS,
  StoredSummary,
  activitySummary,
  addToActivity,
  refreshActivity,
  storedSummary,
} from './domain-activity-rows';
import { ActivitySummary, addReportSessions, parseActivity } from '../domain/domain-activity';
import { Transactions } from './transactions';

/** Reports committed together at most. */
const GROUP_COMMIT_MAX = 100;

interface PendingReport {
  readonly args: [ReceivedReport, readonly DailySessions[], readonly FailureExample[], number];
  readonly resolve: (stored: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/** `TlsReports` in three tables; daily sessions are added to, not replaced. */
@Injectable()
export class TypeOrmTlsReports extends TlsReports {
  constructor(
    private readonly transactions: Transactions,
    @InjectDataSource() private readonly source: DataSource,
  ) {
    super();
  }

  /**
   * Reports stored in the next transaction: reports arriving while one commits wait and go
   * together in the next (group commit), so many senders at once cost one commit, not one
   * each. Each caller still hears only once its report is committed.
   */
  private pending: PendingReport[] = [];
  private flushing = false;

  store(
    report: ReceivedReport,
    daily: readonly DailySessions[],
    failures: readonly FailureExample[],
    examplesPerDay: number,
  ): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.pending.push({ args: [report, daily, failures, examplesPerDay], resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, GROUP_COMMIT_MAX);
        try {
          const stored = await this.transactions.run(async (manager) => {
            const results: boolean[] = [];
            for (const item of batch) results.push(await this.storeOne(manager, ...item.args));
            return results;
          });
          batch.forEach((item, index) => item.resolve(stored[index]));
        } catch {
          // One report that cannot be written must not take the others with it: each alone.
          for (const item of batch) {
            await this.transactions
              .run((manager) => this.storeOne(manager, ...item.args))
              .then(item.resolve, item.reject);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async storeOne(
    manager: EntityManager,
    report: ReceivedReport,
    daily: readonly DailySessions[],
    failures: readonly FailureExample[],
    examplesPerDay: number,
  ): Promise<boolean> {
    const reports = manager.getRepository(MtaStsTlsReportEntity);
    if (report.organization && report.reportId) {
      const seen = await reports.existsBy({ organization: report.organization, reportId: report.reportId });
      if (seen) return false;
    }
    await reports.insert({ ...report, domains: report.domains.join(',') });
    if (daily.length > 0) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(MtaStsTlsDailyEntity)
        // No reading back of ids: a row added to is no new row.
        .updateEntity(false)
        .values(daily.map((row) => ({ ...row })))
        .onConflict(
          '("domain", "day", "organization", "policyType", "result", "mxHost") DO UPDATE SET "sessions" = "mta_sts_tls_daily"."sessions" + excluded."sessions"',
        )
        .execute();
    }
    await addToActivity(
      manager,
      daily,
      'reportLog',
      (text, rows) => JSON.stringify(addReportSessions(parseActivity(text), rows)),
      utcDay(report.receivedAt),
    );
    const examples = manager.getRepository(MtaStsTlsFailureEntity);
    const room = new Map<string, number>();
    for (const failure of failures) {
      const key = `${failure.domain}\u0000${failure.day}\u0000${failure.result}`;
      if (!room.has(key)) {
        const stored = await examples.countBy({ domain: failure.domain, day: failure.day, result: failure.result });
        room.set(key, Math.max(0, examplesPerDay - stored));
      }
      if (room.get(key)! === 0) continue;
      room.set(key, room.get(key)! - 1);
      await examples.insert({ ...failure });
    }
    return true;
  }

  async sessions(domain: string, fromDay: string): Promise<SessionCount[]> {
    const rows = await this.source
      .getRepository(MtaStsTlsDailyEntity)
      .createQueryBuilder('d')
      // Aliases given apart, so they are quoted: PostgreSQL folds a bare mxHost to mxhost.
      .select('d.day', 'day')
      .addSelect('d.result', 'result')
      .addSelect('d.mxHost', 'mxHost')
      .addSelect('SUM(d.sessions)', 'sessions')
      .where('d.domain = :domain AND d.day >= :fromDay', { domain, fromDay })
      .groupBy('d.day')
      .addGroupBy('d.result')
      .addGroupBy('d.mxHost')
      .orderBy('d.day', 'ASC')
      .getRawMany<{ day: string; result: string; mxHost: string; sessions: string }>();
    return rows.map((row) => ({ ...row, sessions: Number(row.sessions) }));
  }

  async daily(domain: string, fromDay: string): Promise<DailySessions[]> {
    const rows = await this.source.getRepository(MtaStsTlsDailyEntity).find({
      where: { domain, day: MoreThanOrEqual(fromDay) },
      order: { day: 'ASC', organization: 'ASC', result: 'ASC', mxHost: 'ASC' },
    });
    return rows.map(({ id: _id, ...row }) => row);
  }

  async examples(domain: string, fromDay: string, limit: number): Promise<FailureExample[]> {
    const rows = await this.source.getRepository(MtaStsTlsFailureEntity).find({
      where: { domain, day: MoreThanOrEqual(fromDay) },
      order: { day: 'DESC', id: 'DESC' },
      take: limit,
    });
    return rows.map(({ id: _id, ...row }) => row);
  }

  async failureTypes(domain: string, fromDay: string): Promise<Set<string>> {
    const rows = await this.source
      .getRepository(MtaStsTlsDailyEntity)
      .createQueryBuilder('d')
      .select('DISTINCT d.result', 'result')
      .where("d.domain = :domain AND d.day >= :fromDay AND d.result <> 'success' AND d.sessions > 0", {
        domain,
        fromDay,
      })
      .getRawMany<{ result: string }>();
    return new Set(rows.map((row) => row.result));
  }

  async overview(today: string): Promise<Map<string, ActivitySummary>> {
    const repository = this.source.getRepository(MtaStsDomainActivityEntity);
    // Raw rows of the sums only: 10,000 entities with their logs cost several times the query.
    const rows = await repository
      .createQueryBuilder('a')
      .select(SUMMARY_COLUMNS.map((column) => `a.${column}`))
      .getRawMany<Record<string, string | number>>();
    const summaries = new Map<string, ActivitySummary>();
    const stale: string[] = [];
    for (const raw of rows) {
      const row = Object.fromEntries(SUMMARY_COLUMNS.map((column) => [column, raw[`a_${column}`]])) as StoredSummary;
      if (row.summaryDay === today) summaries.set(row.domain, storedSummary(row));
      else stale.push(row.domain);
    }
    // Rows not summed as of today yet (before the refresh after midnight): from their logs.
    for (let start = 0; start < stale.length; start += 500) {
      for (const row of await repository.findBy({ domain: In(stale.slice(start, start + 500)) })) {
        summaries.set(row.domain, activitySummary(row, today));
      }
    }
    return summaries;
  }

  async refreshActivity(today: string): Promise<number> {
    return this.transactions.run((manager) => refreshActivity(manager, today));
  }

  async prune(before: Date, totalsBefore: Date): Promise<{ reports: number; examples: number; totals: number }> {
    return this.transactions.run(async (manager) => {
      const reports = await manager.getRepository(MtaStsTlsReportEntity).delete({ receivedAt: LessThan(before) });
      const examples = await manager.getRepository(MtaStsTlsFailureEntity).delete({ day: LessThan(utcDay(before)) });
      const totals = await manager.getRepository(MtaStsTlsDailyEntity).delete({ day: LessThan(utcDay(totalsBefore)) });
      return { reports: reports.affected ?? 0, examples: examples.affected ?? 0, totals: totals.affected ?? 0 };
    });
  }
}
