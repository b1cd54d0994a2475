import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * DNS publishing: when the panel last wrote the domain's records, and the last failure
 * with its backoff, so the card says what the DNS server answered and when the next
 * attempt is.
 */
export class DnsPublishing1764500000000 implements MigrationInterface {
  name = 'DnsPublishing1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = queryRunner.connection.driver.normalizeType({ type: Date });
    await queryRunner.addColumns('mta_sts_domains', [
      new TableColumn({ name: 'dnsPublishedAt', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'dnsFailures', type: 'integer', default: 0 }),
      new TableColumn({ name: 'dnsLastError', type: 'text', isNullable: true }),
      new TableColumn({ name: 'dnsNextAttemptAt', type: timestamp, isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['dnsNextAttemptAt', 'dnsLastError', 'dnsFailures', 'dnsPublishedAt']) {
      await queryRunner.dropColumn('mta_sts_domains', column);
    }
  }
}
