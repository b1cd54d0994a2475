import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dropDataSource, migratedDataSource } from '../support/test-database';
import { MtaStsDomainEntity } from '../../src/mta-sts/persistence';
import { MtaStsCheckEntity, MtaStsCheckEventEntity } from '../../src/mta-sts/persistence/mta-sts-check.entity';
import { TypeOrmCheckResults } from '../../src/mta-sts/persistence/typeorm-check-results';
import { Transactions } from '../../src/mta-sts/persistence/transactions';
import { CHECK_IDS, CheckId, CheckResult, CheckStatus } from '../../src/mta-sts/domain/check-verdicts';

/**
 * Storing check results on a real, migrated SQLite database: a result found again
 * unchanged gets only its new observation time, a changed one is written whole with an
 * event, and what is read back is what was observed last either way.
 */
describe('check results store', () => {
  let dir: string;
  let source: DataSource;
  let store: TypeOrmCheckResults;
  let domainIds: number[];
  const statements: string[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-results-'));
    source = await migratedDataSource(dir);
    const domains = await source.getRepository(MtaStsDomainEntity).save(
      Array.from({ length: 3 }, (_, index) => ({
        name: `d${index}.example`,
        state: 'active' as const,
        badge: 'active' as const,
        mode: 'testing' as const,
        maxAge: 604_800,
        mx: ['mx.example'],
      })),
    );
    domainIds = domains.map((domain) => domain.id);
    store = new TypeOrmCheckResults(
      source.getRepository(MtaStsCheckEntity),
      source.getRepository(MtaStsCheckEventEntity),
      new Transactions(source),
    );
    const query = source.driver.createQueryRunner('master').constructor.prototype as {
      query: (sql: string) => unknown;
    };
    const original = query.query;
    vi.spyOn(query, 'query').mockImplementation(function (this: unknown, sql: string, ...rest: unknown[]) {
      statements.push(sql);
      return (original as (...args: unknown[]) => unknown).call(this, sql, ...rest);
    });
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    statements.length = 0;
    await dropDataSource(dir, source);
    rmSync(dir, { recursive: true, force: true });
  });

  const results = (at: Date, status: (check: CheckId) => CheckStatus = () => 'pass'): CheckResult[] =>
    CHECK_IDS.map((check) => ({
      check,
      status: status(check),
      summary: `${check} is ${status(check)}`,
      detail: 'It\'s "quoted", with a ; and a newline\nhere.',
      remedy: '',
      ...(check === 'policy-record' ? { observed: { TXT: ['v=STSv1; id=1'] } } : {}),
      observedAt: at,
    }));
  const run = (at: Date, status?: (check: CheckId) => CheckStatus) =>
    domainIds.map((domainId) => ({ domainId, checkedId: null, results: results(at, status) }));
  const rowsOf = () => source.getRepository(MtaStsCheckEntity).find({ order: { domainId: 'ASC', check: 'ASC' } });
  const writesTo = (table: string) =>
    statements.filter((sql) => new RegExp(`^(INSERT INTO|UPDATE) "${table}"`).test(sql));

  it('writes a first run whole, and stamps an unchanged one with its time without rewriting it', async () => {
    const first = new Date('2026-11-26T10:00:00.000Z');
    await store.store(run(first));
    const written = await rowsOf();
    expect(written).toHaveLength(3 * CHECK_IDS.length);
    expect(written.every((row) => row.digest && row.observedAt.getTime() === first.getTime())).toBe(true);
    expect(await source.getRepository(MtaStsCheckEventEntity).count()).toBe(3 * CHECK_IDS.length);

    statements.length = 0;
    const second = new Date('2026-11-26T16:00:00.000Z');
    await store.store(run(second));
    // One UPDATE of the observation times, no row written again, no event.
    expect(writesTo('mta_sts_checks')).toEqual([
      expect.stringMatching(/^UPDATE "mta_sts_checks" SET "observedAt" = CASE/),
    ]);
    expect(writesTo('mta_sts_check_events')).toEqual([]);
    const stamped = await rowsOf();
    expect(stamped.map((row) => row.observedAt.getTime())).toEqual(stamped.map(() => second.getTime()));
    expect(stamped.map((row) => row.since.getTime())).toEqual(stamped.map(() => first.getTime()));
    expect(stamped.map(({ summary, detail, observed }) => ({ summary, detail, observed }))).toEqual(
      written.map(({ summary, detail, observed }) => ({ summary, detail, observed })),
    );
    const latest = await store.latest(domainIds[0]);
    expect(latest).toEqual(results(second));
  });

  it('writes a changed result whole with an event, and stamps the rest', async () => {
    const first = new Date('2026-11-26T10:00:00.000Z');
    await store.store(run(first));
    statements.length = 0;
    const second = new Date('2026-11-26T16:00:00.000Z');
    const failing = (check: CheckId) => (check === 'certificate' ? 'fail' : 'pass');
    await store.store(run(second, failing));
    const upserts = writesTo('mta_sts_checks').filter((sql) => sql.startsWith('INSERT'));
    expect(upserts).toHaveLength(1);
    expect((upserts[0].match(/\((\?|\$\d+)/g) ?? []).length).toBe(3); // one row per domain
    const certificate = (await rowsOf()).filter((row) => row.check === 'certificate');
    expect(certificate.map((row) => [row.status, row.summary, row.since.getTime()])).toEqual(
      certificate.map(() => ['fail', 'certificate is fail', second.getTime()]),
    );
    const events = await source.getRepository(MtaStsCheckEventEntity).find({ where: { check: 'certificate' } });
    expect(events.filter((event) => event.status === 'fail')).toHaveLength(3);
    const latest = await store.latest(domainIds[1]);
    expect(latest).toEqual(results(second, failing));
  });

  it('a text that changes without a status change is written, with its status kept since before', async () => {
    const first = new Date('2026-11-26T10:00:00.000Z');
    await store.store(run(first));
    const second = new Date('2026-11-26T16:00:00.000Z');
    const changed = run(second).map((item) => ({
      ...item,
      results: item.results.map((result) =>
        result.check === 'certificate' ? { ...result, detail: 'Valid until 2027-02-01 (66 days).' } : result,
      ),
    }));
    await store.store(changed);
    const row = (await rowsOf()).find((one) => one.domainId === domainIds[2] && one.check === 'certificate')!;
    expect(row.detail).toBe('Valid until 2027-02-01 (66 days).');
    expect(row.observedAt.getTime()).toBe(second.getTime());
    expect(row.since.getTime()).toBe(first.getTime());
    expect(await source.getRepository(MtaStsCheckEventEntity).count()).toBe(3 * CHECK_IDS.length);
  });

  it('the same domain twice in a batch keeps the later run, changed or not', async () => {
    const first = new Date('2026-11-26T10:00:00.000Z');
    await store.store(run(first));
    const second = new Date('2026-11-26T16:00:00.000Z');
    const third = new Date('2026-11-26T16:00:01.000Z');
    const failing = (check: CheckId) => (check === 'dns' ? 'fail' : 'pass');
    const [domainId] = domainIds;
    // Unchanged, then changed; and changed, then found the same again.
    await store.store([
      { domainId, checkedId: null, results: results(second) },
      { domainId, checkedId: null, results: results(third, failing) },
    ]);
    expect(await store.latest(domainId)).toEqual(results(third, failing));
    const fourth = new Date('2026-11-26T22:00:00.000Z');
    const fifth = new Date('2026-11-26T22:00:01.000Z');
    await store.store([
      { domainId, checkedId: null, results: results(fourth) },
      { domainId, checkedId: null, results: results(fifth) },
    ]);
    expect(await store.latest(domainId)).toEqual(results(fifth));
  });

  it('never replaces a newer result with an older one (a late run from a paused leader)', async () => {
    await store.store(run(new Date('2026-11-26T10:00:00.000Z')));
    const before = await rowsOf();
    const events = await source.getRepository(MtaStsCheckEventEntity).count();
    statements.length = 0;
    await store.store(run(new Date('2026-11-26T09:59:59.000Z'), () => 'fail'));
    expect(writesTo('mta_sts_checks')).toEqual([]);
    expect(await rowsOf()).toEqual(before);
    expect(await source.getRepository(MtaStsCheckEventEntity).count()).toBe(events);
  });
});
