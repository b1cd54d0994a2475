import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Creates `mta_sts_domains`. Column types come from the host's driver, so any TypeORM database works. */
export class CreateMtaStsDomains1763800000000 implements MigrationInterface {
  name = 'CreateMtaStsDomains1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const driver = queryRunner.connection.driver;
    const timestamp = driver.normalizeType({ type: Date });
    // The same defaults @CreateDateColumn/@UpdateDateColumn use, so the schema matches the entity.
    const { createDateDefault, updateDateDefault, createDatePrecision } = driver.mappedDataTypes;
    const date = (name: string, nullable = true) => ({ name, type: timestamp, isNullable: nullable });
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_domains',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'name', type: 'varchar', length: '253', isUnique: true },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'step', type: 'varchar', length: '32', isNullable: true },
          { name: 'errorStep', type: 'varchar', length: '32', isNullable: true },
          { name: 'errorMessage', type: 'text', isNullable: true },
          { name: 'mode', type: 'varchar', length: '8' },
          { name: 'maxAge', type: 'integer' },
          { name: 'mx', type: 'text' },
          { name: 'mxProblem', type: 'text', isNullable: true },
          date('mxCheckedAt'),
          { name: 'servedPolicyId', type: 'varchar', length: '32', isNullable: true },
          { name: 'certIssuer', type: 'text', isNullable: true },
          date('certNotBefore'),
          date('certNotAfter'),
          { name: 'certDirectoryUrl', type: 'text', isNullable: true },
          date('enabledAt'),
          { ...date('createdAt', false), default: createDateDefault, precision: createDatePrecision },
          { ...date('updatedAt', false), default: updateDateDefault, precision: createDatePrecision },
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('mta_sts_domains');
  }
}
