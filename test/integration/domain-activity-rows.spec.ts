import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { addReportSessions, parseActivity, ReportActivity } from '../../src/mta-sts/domain/domain-activity';
import { addToActivity } from '../../src/mta-sts/persistence/domain-activity-rows';
import { MtaStsDomainActivityEntity } from '../../src/mta-sts/persistence';
import { Transactions } from '../../src/mta-sts/persistence/transactions';
import { dropDataSource, migratedDataSource } from '../support/test-database';

/**
 * Report sessions merged into a domain's activity record by writers at the same time
 * (several nodes taking in reports on PostgreSQL; one after another on SQLite): none is lost.
 */
describe('Activity records written at the same time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-activity-'));
  let source: DataSource;

  beforeAll(async () => {
    source = await migratedDataSource(dir);
  });

  afterAll(async () => {
    await dropDataSource(dir, source);
  });

  it('keeps the sessions of every writer', async () => {
    const transactions = new Transactions(source);
    const day = '2026-11-27';
    const writers = Array.from({ length: 8 }, (_, index) =>
      transactions.run((manager) =>
        addToActivity(
          manager,
          [{ domain: 'busy.example', day, result: 'success', sessions: index + 1 }],
          'reportLog',
          (text, rows) => JSON.stringify(addReportSessions(parseActivity(text), rows)),
          // Summed as of the next day: the overview counts whole days.
          '2026-11-28',
        ),
      ),
    );
    await Promise.all(writers);
    const row = await source.getRepository(MtaStsDomainActivityEntity).findOneByOrFail({ domain: 'busy.example' });
    const activity = parseActivity<ReportActivity>(row.reportLog);
    expect(JSON.stringify(activity)).toContain('36');
    expect(row.successful).toBe(36);
  });
});
