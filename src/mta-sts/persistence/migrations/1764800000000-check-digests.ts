import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * A digest of each stored check result's content, so that a sweep rewrites only the
 * results that changed and merely stamps the others with their new observation time.
 * Existing rows start without one and are written in full the next time they are checked.
 */
export class CheckDigests1764800000000 implements MigrationInterface {
  name = 'CheckDigests1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'mta_sts_checks',
      new TableColumn({ name: 'digest', type: 'varchar', length: '64', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('mta_sts_checks', 'digest');
  }
}
