import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * The badge each domain shows, stored so the list can filter and page in the database;
 * what DNS answered for each check, for the card's record table.
 */
export class DomainBadge1764000000000 implements MigrationInterface {
  name = 'DomainBadge1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'mta_sts_domains',
      new TableColumn({ name: 'badge', type: 'varchar', length: '16', default: "'inactive'" }),
    );
    await queryRunner.createIndex('mta_sts_domains', new TableIndex({ columnNames: ['badge', 'name'] }));
    // A first approximation from the state; the next check run refines active domains.
    for (const [state, badge] of [
      ['active', 'active'],
      ['error', 'error'],
      ['provisioning', 'verifying'],
    ]) {
      await queryRunner.query(`UPDATE mta_sts_domains SET badge = '${badge}' WHERE state = '${state}'`);
    }
    await queryRunner.addColumn(
      'mta_sts_checks',
      new TableColumn({ name: 'observed', type: 'text', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('mta_sts_checks', 'observed');
    const table = await queryRunner.getTable('mta_sts_domains');
    const index = table?.indices.find((candidate) => candidate.columnNames.join() === 'badge,name');
    if (index) await queryRunner.dropIndex('mta_sts_domains', index);
    await queryRunner.dropColumn('mta_sts_domains', 'badge');
  }
}
