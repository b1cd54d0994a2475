import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, In } from 'typeorm';
import { dropDataSource, migratedDataSource, TEST_DATABASE } from '../support/test-database';
import { MtaStsDomainEntity, quietSqlite3 } from '../../src/mta-sts/persistence';
import { DateUtils } from 'typeorm/util/DateUtils';
import { entitiesAfter, readRows, sqliteUtcDate, writeRows } from '../../src/mta-sts/persistence/bulk-rows';
import { CHECK_COLUMNS } from '../../src/mta-sts/persistence/typeorm-check-results';
import { MtaStsCheckEntity, MtaStsCheckEventEntity } from '../../src/mta-sts/persistence/mta-sts-check.entity';
import { CHECK_IDS } from '../../src/mta-sts/domain/check-verdicts';

/** The statements a sweep writes and reads for every domain, on a real, migrated SQLite database. */
describe('bulk rows', () => {
  let dir: string;
  let source: DataSource;
  let domainIds: number[];
  const at = new Date('2026-11-26T12:00:00.123Z');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-bulk-'));
    source = await migratedDataSource(dir);
    const domains = await source.getRepository(MtaStsDomainEntity).save(
      Array.from({ length: 120 }, (_, index) => ({
        name: `d${index}.example`,
        state: 'active' as const,
        mode: 'testing' as const,
        maxAge: 604_800,
        mx: ['mx.example'],
      })),
    );
    domainIds = domains.map((domain) => domain.id);
  });

  afterEach(async () => {
    await dropDataSource(dir, source);
    rmSync(dir, { recursive: true, force: true });
  });

  const result = (domainId: number, check: string, status: 'pass' | 'warn' | 'fail', observedAt: Date) => ({
    domainId,
    check: check as MtaStsCheckEntity['check'],
    status,
    summary: `${check} is ${status}`,
    detail: 'It\'s "quoted", with a ; and a newline\nhere.',
    remedy: '',
    observed: status === 'pass' ? { TXT: ['v=STSv1; id=1'] } : null,
    observedAt,
    since: observedAt,
  });
  const columns = CHECK_COLUMNS;

  it('inserts more rows than one statement holds, each value converted as the entity reads it back', async () => {
    const rows = domainIds.flatMap((id) => CHECK_IDS.map((check) => result(id, check, 'pass', at)));
    expect(rows.length).toBeGreaterThan(500);
    await source.transaction((manager) => writeRows(manager, MtaStsCheckEntity, columns, rows, ['domainId', 'check']));

    const stored = await source.getRepository(MtaStsCheckEntity).find({ where: { domainId: domainIds[7] } });
    expect(stored).toHaveLength(CHECK_IDS.length);
    const dns = stored.find((row) => row.check === 'dns')!;
    expect(dns.observed).toEqual({ TXT: ['v=STSv1; id=1'] });
    expect(dns.detail).toBe('It\'s "quoted", with a ; and a newline\nhere.');
    expect(new Date(dns.observedAt).toISOString()).toBe(at.toISOString());
    expect(await source.getRepository(MtaStsCheckEntity).count()).toBe(rows.length);
  });

  it('replaces every other column of a row whose key exists, and adds none', async () => {
    await source.transaction((manager) =>
      writeRows(manager, MtaStsCheckEntity, columns, [result(domainIds[0], 'dns', 'pass', at)], ['domainId', 'check']),
    );
    const later = new Date(at.getTime() + 3_600_000);
    await source.transaction((manager) =>
      writeRows(
        manager,
        MtaStsCheckEntity,
        columns,
        [result(domainIds[0], 'dns', 'fail', later)],
        ['domainId', 'check'],
      ),
    );
    const rows = await source.getRepository(MtaStsCheckEntity).find({ where: { domainId: domainIds[0] } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'fail', summary: 'dns is fail', observed: null });
    expect(new Date(rows[0].observedAt).toISOString()).toBe(later.toISOString());
  });

  it('without a key, a second row with the same key is refused and the transaction leaves nothing', async () => {
    const row = result(domainIds[0], 'dns', 'pass', at);
    await expect(
      source.transaction((manager) => writeRows(manager, MtaStsCheckEntity, columns, [row, row])),
    ).rejects.toThrow(/UNIQUE constraint failed|duplicate key value violates unique constraint/);
    expect(await source.getRepository(MtaStsCheckEntity).count()).toBe(0);
  });

  it('reads the chosen columns of the rows asked for, dates as dates, and nothing for an empty list', async () => {
    const events = domainIds.slice(0, 3).map((domainId) => ({
      domainId,
      check: 'https' as const,
      previousStatus: null,
      status: 'warn' as const,
      summary: 'Slow.',
      at,
    }));
    await source.transaction((manager) =>
      writeRows(
        manager,
        MtaStsCheckEventEntity,
        ['domainId', 'check', 'previousStatus', 'status', 'summary', 'at'],
        events,
      ),
    );
    const read = await readRows(source.manager, MtaStsCheckEventEntity, ['domainId', 'status', 'at'], 'domainId', [
      domainIds[1],
      domainIds[2],
      999_999,
    ]);
    expect(read.map((row) => row.domainId).sort()).toEqual([domainIds[1], domainIds[2]].sort());
    expect(read[0].at).toBeInstanceOf(Date);
    expect(read[0].at.toISOString()).toBe(at.toISOString());
    expect(await readRows(source.manager, MtaStsCheckEventEntity, ['domainId'], 'domainId', [])).toEqual([]);
  });

  it('reads whole entities a page at a time, the same as find builds them', async () => {
    const repository = source.getRepository(MtaStsDomainEntity);
    await repository.update({ id: domainIds[5] }, { state: 'inactive', enabledAt: at, reissues: [at.toISOString()] });
    await repository.update(
      { id: domainIds[7] },
      { enabledAt: at, mxDrop: { hosts: ['old.example'], after: at.toISOString() } },
    );
    const active = { property: 'state' as const, values: ['active'] };
    const first = await entitiesAfter(source.manager, MtaStsDomainEntity, active, 'id', 0, 10);
    expect(first.map((domain) => domain.id)).toEqual(domainIds.filter((id) => id !== domainIds[5]).slice(0, 10));
    const next = await entitiesAfter(source.manager, MtaStsDomainEntity, active, 'id', first[9].id, 10);
    expect(next[0].id).toBe(domainIds[11]);
    const found = await repository.find({ where: { id: In(first.map((domain) => domain.id)) }, order: { id: 'ASC' } });
    expect(first).toEqual(found);
    expect(first[0]).toBeInstanceOf(MtaStsDomainEntity);
    expect(first.find((domain) => domain.id === domainIds[7])!.enabledAt).toEqual(at);
    expect(
      await entitiesAfter(source.manager, MtaStsDomainEntity, { property: 'state', values: [] }, 'id', 0, 10),
    ).toEqual([]);
  });

  it.skipIf(TEST_DATABASE !== 'sqlite')(
    'reads a date as TypeORM writes it into SQLite exactly as the driver does, and leaves other text to the driver',
    () => {
      const column = source.getMetadata(MtaStsCheckEventEntity).findColumnWithPropertyName('at')!;
      const dates = [at, new Date('1999-12-31T23:59:59.999Z'), new Date('2028-02-29T00:00:00.000Z'), new Date(0)];
      for (const date of dates) {
        const text = DateUtils.mixedDateToUtcDatetimeString(date) as string;
        expect(sqliteUtcDate(text)).toEqual(source.driver.prepareHydratedValue(text, column));
        expect(sqliteUtcDate(text)).toEqual(date);
      }
      // Without milliseconds (SQLite's own datetime('now')), another form, or out of range.
      for (const text of [
        '2026-11-27 10:58:15',
        '2026-11-27T10:58:15.123',
        '2026-13-01 00:00:00.000',
        '2026-11-27 24:00:00.000',
        '2026-11-27 10:58:1x.123',
        '0999-01-01 00:00:00.000',
        '',
      ]) {
        expect(sqliteUtcDate(text)).toBeUndefined();
      }
    },
  );

  it.skipIf(TEST_DATABASE !== 'sqlite')(
    'runs sqlite3 without its verbose mode, which would describe every call for a stack trace',
    async () => {
      // In verbose mode sqlite3 appends "--> in Database#all(<the SQL and parameters>)" to
      // each error, having recorded a stack and described the arguments of every call.
      const connection = (
        source.driver as unknown as {
          databaseConnection: { all(sql: string, parameters: unknown[], done: (error: Error) => void): void };
        }
      ).databaseConnection;
      const error = await new Promise<Error>((resolve) => connection.all('SELECT * FROM no_such_table', [], resolve));
      expect(error.message).toMatch(/no such table: no_such_table/);
      expect(error.stack).not.toMatch(/--> in Database#all/);
      expect((quietSqlite3.verbose as () => unknown)()).toBe(quietSqlite3);
    },
  );
});
