import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * The lifecycle of a served policy: when its id was published and seen in DNS, the
 * largest max_age senders may have cached, old MX hosts waiting to leave an enforce
 * policy, retirement times; and the audit trail of actions.
 */
export class Lifecycle1764100000000 implements MigrationInterface {
  name = 'Lifecycle1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = queryRunner.connection.driver.normalizeType({ type: Date });
    await queryRunner.addColumns('mta_sts_domains', [
      new TableColumn({ name: 'policyPublishedAt', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'policyVisibleAt', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'largestMaxAgeServed', type: 'integer', default: 0 }),
      new TableColumn({ name: 'mxDrop', type: 'text', isNullable: true }),
      new TableColumn({ name: 'retireStartedAt', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'retireUntil', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'removedAt', type: timestamp, isNullable: true }),
    ]);
    // Domains that already serve a policy: senders may have cached its max_age since Enable.
    await queryRunner.query(
      `UPDATE "mta_sts_domains" SET "largestMaxAgeServed" = "maxAge", "policyPublishedAt" = "enabledAt" WHERE "state" = 'active'`,
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_actions',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'domain', type: 'varchar', length: '253' },
          { name: 'action', type: 'varchar', length: '32' },
          { name: 'actor', type: 'varchar', length: '128' },
          { name: 'at', type: timestamp },
          { name: 'policyIdBefore', type: 'varchar', length: '32', isNullable: true },
          { name: 'policyIdAfter', type: 'varchar', length: '32', isNullable: true },
          { name: 'detail', type: 'text' },
        ],
        indices: [new TableIndex({ columnNames: ['domain', 'at'] })],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('mta_sts_actions');
    for (const column of [
      'removedAt',
      'retireUntil',
      'retireStartedAt',
      'mxDrop',
      'largestMaxAgeServed',
      'policyVisibleAt',
      'policyPublishedAt',
    ]) {
      await queryRunner.dropColumn('mta_sts_domains', column);
    }
  }
}
