import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** The standalone panel's open sessions, so that signing out ends one for good. */
export class PanelSessions1764400000000 implements MigrationInterface {
  name = 'PanelSessions1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = queryRunner.connection.driver.normalizeType({ type: Date });
    await queryRunner.createTable(
      new Table({
        name: 'panel_sessions',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'user', type: 'varchar', length: '64' },
          { name: 'expiresAt', type: timestamp },
        ],
        indices: [new TableIndex({ columnNames: ['expiresAt'] })],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('panel_sessions');
  }
}
