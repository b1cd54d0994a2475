import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/** Readiness check results and history; renewal state on each domain. */
export class ChecksAndRenewals1763900000000 implements MigrationInterface {
  name = 'ChecksAndRenewals1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = queryRunner.connection.driver.normalizeType({ type: Date });
    const domainRef = {
      columnNames: ['domainId'],
      referencedTableName: 'mta_sts_domains',
      referencedColumnNames: ['id'],
      onDelete: 'CASCADE',
    };
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_checks',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'domainId', type: 'integer' },
          { name: 'check', type: 'varchar', length: '32' },
          { name: 'status', type: 'varchar', length: '8' },
          { name: 'summary', type: 'text' },
          { name: 'detail', type: 'text' },
          { name: 'remedy', type: 'text' },
          { name: 'observedAt', type: timestamp },
          { name: 'since', type: timestamp },
        ],
        foreignKeys: [domainRef],
        indices: [new TableIndex({ columnNames: ['domainId', 'check'], isUnique: true })],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_check_events',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'domainId', type: 'integer' },
          { name: 'check', type: 'varchar', length: '32' },
          { name: 'previousStatus', type: 'varchar', length: '8', isNullable: true },
          { name: 'status', type: 'varchar', length: '8' },
          { name: 'summary', type: 'text' },
          { name: 'at', type: timestamp },
        ],
        foreignKeys: [domainRef],
        indices: [new TableIndex({ columnNames: ['domainId', 'at'] })],
      }),
      true,
    );
    await queryRunner.addColumns('mta_sts_domains', [
      new TableColumn({ name: 'checksRanAt', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'renewAfter', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'renewWindow', type: 'text', isNullable: true }),
      new TableColumn({ name: 'renewFailures', type: 'integer', default: 0 }),
      new TableColumn({ name: 'renewNextAttemptAt', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'renewLastError', type: 'text', isNullable: true }),
      new TableColumn({ name: 'renewRetryAfter', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'reissues', type: 'text', default: "'[]'" }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of [
      'reissues',
      'renewRetryAfter',
      'renewLastError',
      'renewNextAttemptAt',
      'renewFailures',
      'renewWindow',
      'renewAfter',
      'checksRanAt',
    ]) {
      await queryRunner.dropColumn('mta_sts_domains', column);
    }
    await queryRunner.dropTable('mta_sts_check_events');
    await queryRunner.dropTable('mta_sts_checks');
  }
}
