import { Injectable } from '@nestjs/common';
import { LessThan } from 'typeorm';
import type { DailySessions, FailureExample } from '../domain/tls-report';
import { ReceivedReport, TlsReports } from '../ports/tls-reports.port';
import { MtaStsTlsDailyEntity, MtaStsTlsFailureEntity, MtaStsTlsReportEntity } from './mta-sts-tls-report.entity';
import { Transactions } from './transactions';

/** `TlsReports` in three tables; daily sessions are added to, not replaced. */
@Injectable()
export class TypeOrmTlsReports extends TlsReports {
  constructor(private readonly transactions: Transactions) {
    super();
  }

  async store(
    report: ReceivedReport,
    daily: readonly DailySessions[],
    failures: readonly FailureExample[],
    examplesPerDay: number,
  ): Promise<boolean> {
    return this.transactions.run(async (manager) => {
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
    });
  }

  async prune(before: Date, totalsBefore: Date): Promise<{ reports: number; examples: number; totals: number }> {
    const day = (at: Date) => at.toISOString().slice(0, 10);
    return this.transactions.run(async (manager) => {
      const reports = await manager.getRepository(MtaStsTlsReportEntity).delete({ receivedAt: LessThan(before) });
      const examples = await manager.getRepository(MtaStsTlsFailureEntity).delete({ day: LessThan(day(before)) });
      const totals = await manager.getRepository(MtaStsTlsDailyEntity).delete({ day: LessThan(day(totalsBefore)) });
      return { reports: reports.affected ?? 0, examples: examples.affected ?? 0, totals: totals.affected ?? 0 };
    });
  }
}
