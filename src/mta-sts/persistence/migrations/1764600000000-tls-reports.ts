import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** TLS reports (RFC 8460): as received, daily session counts, and failure examples. */
export class TlsReports1764600000000 implements MigrationInterface {
  name = 'TlsReports1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = queryRunner.connection.driver.normalizeType({ type: Date });
    const id = {
      name: 'id',
      type: 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment' as const,
    };
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_tls_reports',
        columns: [
          id,
          { name: 'organization', type: 'varchar', length: '255', isNullable: true },
          { name: 'reportId', type: 'varchar', length: '255', isNullable: true },
          { name: 'receivedAt', type: timestamp },
          { name: 'via', type: 'varchar', length: '16' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'reason', type: 'text', isNullable: true },
          { name: 'domains', type: 'text', default: "''" },
          { name: 'raw', type: 'text' },
        ],
        indices: [
          new TableIndex({ columnNames: ['organization', 'reportId'], isUnique: true }),
          new TableIndex({ columnNames: ['receivedAt'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_tls_daily',
        columns: [
          id,
          { name: 'domain', type: 'varchar', length: '253' },
          { name: 'day', type: 'varchar', length: '10' },
          { name: 'organization', type: 'varchar', length: '255' },
          { name: 'policyType', type: 'varchar', length: '16' },
          { name: 'result', type: 'varchar', length: '64' },
          { name: 'mxHost', type: 'varchar', length: '253', default: "''" },
          { name: 'sessions', type: 'integer', default: 0 },
        ],
        indices: [
          new TableIndex({
            columnNames: ['domain', 'day', 'organization', 'policyType', 'result', 'mxHost'],
            isUnique: true,
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_tls_failures',
        columns: [
          id,
          { name: 'domain', type: 'varchar', length: '253' },
          { name: 'day', type: 'varchar', length: '10' },
          { name: 'organization', type: 'varchar', length: '255' },
          { name: 'result', type: 'varchar', length: '64' },
          { name: 'sendingMtaIp', type: 'varchar', length: '64', isNullable: true },
          { name: 'receivingMxHostname', type: 'varchar', length: '253', isNullable: true },
          { name: 'receivingIp', type: 'varchar', length: '64', isNullable: true },
          { name: 'failedSessions', type: 'integer', default: 0 },
          { name: 'additionalInformation', type: 'text', isNullable: true },
          { name: 'failureReasonCode', type: 'varchar', length: '255', isNullable: true },
        ],
        indices: [new TableIndex({ columnNames: ['domain', 'day', 'result'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['mta_sts_tls_failures', 'mta_sts_tls_daily', 'mta_sts_tls_reports']) {
      await queryRunner.dropTable(table);
    }
  }
}
