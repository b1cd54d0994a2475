import { EntityManager, In, MoreThan } from 'typeorm';
import {
  ActivitySummary,
  FetchActivityDays,
  ReportActivity,
  parseActivity,
  summarizeActivity,
} from '../domain/domain-activity';
import { MtaStsDomainActivityEntity } from './mta-sts-domain-activity.entity';

const CHUNK = 500;

function summaryColumns(summary: ActivitySummary) {
  return {
    summaryDay: summary.day,
    successful: summary.successful,
    failed: summary.failed,
    reportDays: summary.reportDays,
    failureTypes: JSON.stringify(summary.failureTypes),
    weekFetches: summary.fetches,
  };
}

/** The columns that hold a row's sums, without its logs: what the overview reads of every domain. */
export const SUMMARY_COLUMNS = [
  'domain',
  'summaryDay',
  'successful',
  'failed',
  'reportDays',
  'failureTypes',
  'weekFetches',
] as const satisfies readonly (keyof MtaStsDomainActivityEntity)[];

export type StoredSummary = Pick<MtaStsDomainActivityEntity, (typeof SUMMARY_COLUMNS)[number]>;

/** The sums as stored, for the day they were summed on (`summaryDay`). */
export function storedSummary(row: StoredSummary): ActivitySummary {
  return {
    day: row.summaryDay,
    successful: row.successful,
    failed: row.failed,
    reportDays: row.reportDays,
    failureTypes: parseActivity<Record<string, number>>(row.failureTypes),
    fetches: row.weekFetches,
  };
}

/** A row's summary as of `today`: the stored one when it is of that day, else computed from its logs. */
export function activitySummary(row: MtaStsDomainActivityEntity, today: string): ActivitySummary {
  if (row.summaryDay === today) return storedSummary(row);
  return summarizeActivity(
    parseActivity<ReportActivity>(row.reportLog),
    parseActivity<FetchActivityDays>(row.fetchLog),
    today,
  );
}

/**
 * Merges rows into the activity records of their domains, in the caller's transaction:
 * reads the records of those domains at once, lets `merge` compute each new log, sums the
 * overview's periods as of `today`, and writes them back.
 */
export async function addToActivity<R extends { readonly domain: string }>(
  manager: EntityManager,
  rows: readonly R[],
  column: 'reportLog' | 'fetchLog',
  merge: (text: string | undefined, rows: R[]) => string,
  today: string,
): Promise<void> {
  const byDomain = new Map<string, R[]>();
  for (const row of rows) {
    const list = byDomain.get(row.domain);
    if (list) list.push(row);
    else byDomain.set(row.domain, [row]);
  }
  // In name order, so two writers lock rows in the same order.
  const domains = [...byDomain.keys()].sort();
  const repository = manager.getRepository(MtaStsDomainActivityEntity);
  // SQLite runs one transaction at a time; elsewhere (several nodes on PostgreSQL) two
  // writers could read the same record and the second write would drop the first's
  // sessions, so the records are made to exist and locked before they are read.
  const locking = manager.connection.options.type !== 'sqlite';
  for (let start = 0; start < domains.length; start += CHUNK) {
    const chunk = domains.slice(start, start + CHUNK);
    if (locking) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(MtaStsDomainActivityEntity)
        .values(chunk.map((domain) => ({ domain })))
        .orIgnore()
        .execute();
    }
    const rows = await repository.find({
      where: { domain: In(chunk) },
      order: { domain: 'ASC' },
      ...(locking ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    const existing = new Map(rows.map((row) => [row.domain, row]));
    const updated = chunk.map((domain) => {
      const reportLog = existing.get(domain)?.reportLog ?? '{}';
      const fetchLog = existing.get(domain)?.fetchLog ?? '{}';
      const logs = { reportLog, fetchLog, [column]: merge(existing.get(domain)?.[column], byDomain.get(domain)!) };
      const summary = summarizeActivity(
        parseActivity<ReportActivity>(logs.reportLog),
        parseActivity<FetchActivityDays>(logs.fetchLog),
        today,
      );
      return { domain, ...logs, ...summaryColumns(summary) };
    });
    await manager
      .createQueryBuilder()
      .insert()
      .into(MtaStsDomainActivityEntity)
      .values(updated)
      .orUpdate(
        ['reportLog', 'fetchLog', 'summaryDay', 'successful', 'failed', 'reportDays', 'failureTypes', 'weekFetches'],
        ['domain'],
      )
      .execute();
  }
}

/** Sums every record not summed as of `today` yet (after midnight the periods move on). */
export async function refreshActivity(manager: EntityManager, today: string): Promise<number> {
  const repository = manager.getRepository(MtaStsDomainActivityEntity);
  let after = '';
  let refreshed = 0;
  for (;;) {
    const rows = await repository.find({ where: { domain: MoreThan(after) }, order: { domain: 'ASC' }, take: CHUNK });
    for (const row of rows) {
      if (row.summaryDay === today) continue;
      await repository.update({ domain: row.domain }, summaryColumns(activitySummary(row, today)));
      refreshed++;
    }
    if (rows.length < CHUNK) return refreshed;
    after = rows[rows.length - 1].domain;
  }
}
