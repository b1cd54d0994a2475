import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThan } from 'typeorm';
import type { DailyFetches } from '../domain/policy-fetches';
import { FetchDay, Fetcher, FetcherName, LogCursor, PolicyFetches } from '../ports/policy-fetches.port';
import { MtaStsFetcherEntity, MtaStsLogCursorEntity, MtaStsPolicyFetchEntity } from './mta-sts-policy-fetch.entity';
import { Transactions } from './transactions';
import { addToActivity } from './domain-activity-rows';
import { FetchActivityDays, addFetches, parseActivity } from '../domain/domain-activity';

/** Rows per INSERT: well under SQLite's 32,766 bound parameters. */
const BATCH = 500;

/** `PolicyFetches` in three tables; daily counts are added to, not replaced. */
@Injectable()
export class TypeOrmPolicyFetches extends PolicyFetches {
  constructor(
    private readonly transactions: Transactions,
    @InjectDataSource() private readonly source: DataSource,
  ) {
    super();
  }

  async cursor(path: string): Promise<LogCursor | undefined> {
    const row = await this.source.getRepository(MtaStsLogCursorEntity).findOneBy({ path });
    return row ? { path: row.path, inode: row.inode, offset: row.offset, head: row.head } : undefined;
  }

  async add(rows: readonly DailyFetches[], cursor: LogCursor, today: string): Promise<void> {
    await this.transactions.run(async (manager) => {
      for (let start = 0; start < rows.length; start += BATCH) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(MtaStsPolicyFetchEntity)
          // No reading back of ids: a row added to is no new row.
          .updateEntity(false)
          .values(rows.slice(start, start + BATCH).map((row) => ({ ...row })))
          .onConflict(
            '("domain", "day", "address") DO UPDATE SET "fetches" = "mta_sts_policy_fetches"."fetches" + excluded."fetches", "failures" = "mta_sts_policy_fetches"."failures" + excluded."failures"',
          )
          .execute();
      }
      await addToActivity(
        manager,
        rows,
        'fetchLog',
        (text, domainRows) => JSON.stringify(addFetches(parseActivity<FetchActivityDays>(text), domainRows)),
        today,
      );
      await manager
        .createQueryBuilder()
        .insert()
        .into(MtaStsLogCursorEntity)
        .values({ ...cursor })
        .orUpdate(['inode', 'offset', 'head'], ['path'])
        .execute();
    });
  }

  async names(addresses: readonly string[]): Promise<Map<string, FetcherName>> {
    const found = new Map<string, FetcherName>();
    for (let start = 0; start < addresses.length; start += BATCH) {
      const rows = await this.source
        .getRepository(MtaStsFetcherEntity)
        .findBy({ address: In(addresses.slice(start, start + BATCH)) });
      for (const row of rows) found.set(row.address, { ...row });
    }
    return found;
  }

  async saveName(name: FetcherName): Promise<void> {
    await this.source.getRepository(MtaStsFetcherEntity).save({ ...name });
  }

  async days(domain: string, fromDay: string): Promise<FetchDay[]> {
    const rows = await this.source
      .getRepository(MtaStsPolicyFetchEntity)
      .createQueryBuilder('f')
      .select('f.day', 'day')
      .addSelect('SUM(f.fetches)', 'fetches')
      .addSelect('SUM(f.failures)', 'failures')
      .addSelect('COUNT(*)', 'fetchers')
      .where('f.domain = :domain AND f.day >= :fromDay', { domain, fromDay })
      .groupBy('f.day')
      .orderBy('f.day', 'ASC')
      .getRawMany<{ day: string; fetches: string; failures: string; fetchers: string }>();
    return rows.map((row) => ({
      day: row.day,
      fetches: Number(row.fetches),
      failures: Number(row.failures),
      fetchers: Number(row.fetchers),
    }));
  }

  async fetchers(domain: string, fromDay: string, limit: number): Promise<Fetcher[]> {
    const rows = await this.source
      .getRepository(MtaStsPolicyFetchEntity)
      .createQueryBuilder('f')
      .leftJoin(MtaStsFetcherEntity, 'n', 'n.address = f.address')
      .select('f.address', 'address')
      .addSelect('SUM(f.fetches)', 'fetches')
      .addSelect('MAX(f.day)', 'lastDay')
      .addSelect('MAX(n.ptr)', 'ptr')
      .addSelect('MAX(n.sender)', 'sender')
      .where('f.domain = :domain AND f.day >= :fromDay', { domain, fromDay })
      .groupBy('f.address')
      .orderBy('SUM(f.fetches)', 'DESC')
      .addOrderBy('f.address', 'ASC')
      .limit(limit)
      .getRawMany<{ address: string; fetches: string; lastDay: string; ptr: string | null; sender: string | null }>();
    return rows.map((row) => ({ ...row, fetches: Number(row.fetches) }));
  }

  async prune(beforeDay: string, namesBefore: Date): Promise<number> {
    return this.transactions.run(async (manager) => {
      const days = await manager.getRepository(MtaStsPolicyFetchEntity).delete({ day: LessThan(beforeDay) });
      await manager.getRepository(MtaStsFetcherEntity).delete({ checkedAt: LessThan(namesBefore) });
      return days.affected ?? 0;
    });
  }
}
