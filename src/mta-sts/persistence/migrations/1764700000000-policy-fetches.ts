import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Policy fetch activity from nginx's log (daily counts per address and per domain, fetcher names, log
 * cursors), the DKIM verdict of mailed reports, and the index the overview across
 * domains reads TLS report totals from (sessions per domain, day and result).
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
        name: 'mta_sts_tls_domain_days',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'domain', type: 'varchar', length: '253' },
          { name: 'day', type: 'varchar', length: '10' },
          { name: 'result', type: 'varchar', length: '64' },
          { name: 'sessions', type: 'integer', default: 0 },
        ],
        indices: [
          new TableIndex({ columnNames: ['day', 'domain', 'result'], isUnique: true }),
          new TableIndex({ columnNames: ['day', 'domain', 'result', 'sessions'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_fetch_days',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'day', type: 'varchar', length: '10' },
          { name: 'domain', type: 'varchar', length: '253' },
          { name: 'fetches', type: 'integer', default: 0 },
        ],
        indices: [
          new TableIndex({ columnNames: ['day', 'domain'], isUnique: true }),
          new TableIndex({ columnNames: ['day', 'domain', 'fetches'] }),
        ],
      }),
    );
    // Reports stored before: their sums.
    await queryRunner.query(
      'INSERT INTO "mta_sts_tls_domain_days" ("domain", "day", "result", "sessions") SELECT "domain", "day", "result", SUM("sessions") FROM "mta_sts_tls_daily" GROUP BY "domain", "day", "result"',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('mta_sts_tls_reports', 'dkim');
    await queryRunner.dropTable('mta_sts_fetch_days');
    await queryRunner.dropTable('mta_sts_tls_domain_days');
    await queryRunner.dropTable('mta_sts_log_cursors');
    await queryRunner.dropTable('mta_sts_fetchers');
    await queryRunner.dropTable('mta_sts_policy_fetches');
  }
}
