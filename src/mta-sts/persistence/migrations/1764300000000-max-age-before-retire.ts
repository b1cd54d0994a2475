import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * The max_age a domain had before it started retiring, so that Cancel retirement puts it
 * back instead of the default. Domains retiring now have none recorded: they get the
 * default, as before.
 */
export class MaxAgeBeforeRetire1764300000000 implements MigrationInterface {
  name = 'MaxAgeBeforeRetire1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'mta_sts_domains',
      new TableColumn({ name: 'maxAgeBeforeRetire', type: 'integer', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('mta_sts_domains', 'maxAgeBeforeRetire');
  }
}
