import { domainToUnicode } from 'node:url';
import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * The badge each domain shows, stored so the list can filter and page in the database;
 * the Unicode name, so the list can be searched as it reads; what DNS answered for each
 * check, for the card's record table.
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
      await queryRunner.query(`UPDATE "mta_sts_domains" SET "badge" = '${badge}' WHERE "state" = '${state}'`);
    }
    await queryRunner.addColumn(
      'mta_sts_checks',
      new TableColumn({ name: 'observed', type: 'text', isNullable: true }),
    );
    await queryRunner.addColumn(
      'mta_sts_domains',
      new TableColumn({ name: 'unicodeName', type: 'varchar', length: '1024', default: "''" }),
    );
    await queryRunner.query(`UPDATE "mta_sts_domains" SET "unicodeName" = "name"`);
    // Only names with `xn--` labels read differently in Unicode.
    const international: { id: number; name: string }[] = await queryRunner.query(
      `SELECT "id", "name" FROM "mta_sts_domains" WHERE "name" LIKE '%xn--%'`,
    );
    for (const row of international) {
      await queryRunner.manager
        .createQueryBuilder()
        .update('mta_sts_domains')
        .set({ unicodeName: domainToUnicode(row.name) || row.name })
        .where('id = :id', { id: row.id })
        .execute();
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('mta_sts_domains', 'unicodeName');
    await queryRunner.dropColumn('mta_sts_checks', 'observed');
    const table = await queryRunner.getTable('mta_sts_domains');
    const index = table?.indices.find((candidate) => candidate.columnNames.join() === 'badge,name');
    if (index) await queryRunner.dropIndex('mta_sts_domains', index);
    await queryRunner.dropColumn('mta_sts_domains', 'badge');
  }
}
