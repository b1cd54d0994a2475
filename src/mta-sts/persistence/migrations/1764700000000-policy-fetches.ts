import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { addReportSessions } from '../../domain/domain-activity';

/**
 * Policy fetch activity from nginx's log (daily counts per address, fetcher names, log
 * cursors), the DKIM verdict of mailed reports, and each domain's last month of report
 * sessions and fetches in one row, which the overview across domains reads.
 */
export class PolicyFetches1764700000000 implements MigrationInterface {
  name = 'PolicyFetches1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = queryRunner.connection.driver.normalizeType({ type: Date });
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_policy_fetches',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'domain', type: 'varchar', length: '253' },
          { name: 'day', type: 'varchar', length: '10' },
          { name: 'address', type: 'varchar', length: '45' },
          { name: 'fetches', type: 'integer', default: 0 },
          { name: 'failures', type: 'integer', default: 0 },
        ],
        indices: [
          new TableIndex({ columnNames: ['domain', 'day', 'address'], isUnique: true }),
          new TableIndex({ columnNames: ['day'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_fetchers',
        columns: [
          { name: 'address', type: 'varchar', length: '45', isPrimary: true },
          { name: 'ptr', type: 'varchar', length: '253', isNullable: true },
          { name: 'sender', type: 'varchar', length: '253', isNullable: true },
          { name: 'checkedAt', type: timestamp },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_log_cursors',
        columns: [
          { name: 'path', type: 'varchar', length: '1024', isPrimary: true },
          { name: 'inode', type: 'varchar', length: '40' },
          { name: 'offset', type: 'integer', default: 0 },
          { name: 'head', type: 'varchar', length: '64', default: "''" },
        ],
      }),
    );
    await queryRunner.addColumn(
      'mta_sts_tls_reports',
      new TableColumn({ name: 'dkim', type: 'varchar', length: '255', isNullable: true }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_domain_activity',
        columns: [
          { name: 'domain', type: 'varchar', length: '253', isPrimary: true },
          { name: 'reportLog', type: 'text', default: "'{}'" },
          { name: 'fetchLog', type: 'text', default: "'{}'" },
          { name: 'summaryDay', type: 'varchar', length: '10', default: "''" },
          { name: 'successful', type: 'integer', default: 0 },
          { name: 'failed', type: 'integer', default: 0 },
          { name: 'reportDays', type: 'integer', default: 0 },
          { name: 'failureTypes', type: 'text', default: "'{}'" },
          { name: 'weekFetches', type: 'integer', default: 0 },
        ],
      }),
    );
    // Reports stored before: their last month (summed as of today by the first read or refresh).
    const rows: { domain: string; day: string; result: string; sessions: number }[] = await queryRunner.query(
      'SELECT "domain", "day", "result", SUM("sessions") AS "sessions" FROM "mta_sts_tls_daily" GROUP BY "domain", "day", "result"',
    );
    const byDomain = new Map<string, typeof rows>();
    for (const row of rows) {
      const list = byDomain.get(row.domain);
      if (list) list.push(row);
      else byDomain.set(row.domain, [row]);
    }
    for (const [domain, sessions] of byDomain) {
      const reports = addReportSessions(
        {},
        sessions.map((row) => ({ ...row, sessions: Number(row.sessions) })),
      );
      await queryRunner.manager
        .createQueryBuilder()
        .insert()
        .into('mta_sts_domain_activity')
        .values({ domain, reportLog: JSON.stringify(reports), fetchLog: '{}' })
        .execute();
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('mta_sts_tls_reports', 'dkim');
    await queryRunner.dropTable('mta_sts_domain_activity');
    await queryRunner.dropTable('mta_sts_log_cursors');
    await queryRunner.dropTable('mta_sts_fetchers');
    await queryRunner.dropTable('mta_sts_policy_fetches');
  }
}
