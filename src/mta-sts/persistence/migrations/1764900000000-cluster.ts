import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * What several nodes share through one PostgreSQL database: each domain's certificate
 * bundle (sealed with the nodes' key), HTTP-01 answers and which node has written each
 * one, the nodes themselves and what each serves, the leader's term (its fencing token)
 * and where the leader's sweeps stand. On PostgreSQL, triggers send a change notice
 * (`LISTEN mta_sts_changes`) whenever what a node serves changes. A single node on
 * SQLite has the tables and never writes them.
 */
export class Cluster1764900000000 implements MigrationInterface {
  name = 'Cluster1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = queryRunner.connection.driver.normalizeType({ type: Date });
    const name = (length: number) => ({ type: 'varchar', length: String(length) });
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_shared_certificates',
        columns: [
          { name: 'domain', ...name(253), isPrimary: true },
          { name: 'sealed', type: 'text' },
          { name: 'digest', ...name(64) },
          { name: 'updatedAt', type: timestamp },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_challenges',
        columns: [
          { name: 'token', ...name(256), isPrimary: true },
          { name: 'keyAuthorization', type: 'text' },
          { name: 'createdAt', type: timestamp },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_challenge_acks',
        columns: [
          { name: 'token', ...name(256), isPrimary: true },
          { name: 'node', ...name(64), isPrimary: true },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_nodes',
        columns: [
          { name: 'name', ...name(64), isPrimary: true },
          { name: 'addresses', type: 'text' },
          { name: 'startedAt', type: timestamp },
          { name: 'seenAt', type: timestamp },
          { name: 'reconciledAt', type: timestamp, isNullable: true },
          { name: 'reconcileError', type: 'text', isNullable: true },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_node_domains',
        columns: [
          { name: 'node', ...name(64), isPrimary: true },
          { name: 'domain', ...name(253), isPrimary: true },
          { name: 'policyId', ...name(32), isNullable: true },
          { name: 'certDigest', ...name(64), isNullable: true },
          { name: 'error', type: 'text', isNullable: true },
          { name: 'syncedAt', type: timestamp },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_leadership',
        columns: [
          { name: 'name', ...name(32), isPrimary: true },
          { name: 'epoch', type: 'integer', default: 0 },
          { name: 'holder', ...name(64), isNullable: true },
          { name: 'since', type: timestamp, isNullable: true },
        ],
      }),
    );
    await queryRunner.query(`INSERT INTO "mta_sts_leadership" ("name", "epoch") VALUES ('jobs', 0)`);
    await queryRunner.createTable(
      new Table({
        name: 'mta_sts_sweeps',
        columns: [
          { name: 'job', ...name(32), isPrimary: true },
          { name: 'epoch', type: 'integer' },
          { name: 'startedAt', type: timestamp },
          { name: 'finishedAt', type: timestamp, isNullable: true },
          { name: 'doneThrough', type: 'integer', default: 0 },
        ],
      }),
    );
    if (queryRunner.connection.driver.options.type === 'postgres') await this.notices(queryRunner);
  }

  /** A notice per change of what nodes serve; PostgreSQL sends it when the transaction commits. */
  private async notices(queryRunner: QueryRunner): Promise<void> {
    const notify = (fn: string, prefix: string, key: string) => `
      CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          PERFORM pg_notify('mta_sts_changes', '${prefix}:' || OLD."${key}");
        ELSE
          PERFORM pg_notify('mta_sts_changes', '${prefix}:' || NEW."${key}");
        END IF;
        RETURN NULL;
      END $$`;
    await queryRunner.query(notify('mta_sts_notify_domain', 'domain', 'name'));
    await queryRunner.query(notify('mta_sts_notify_certificate', 'certificate', 'domain'));
    await queryRunner.query(notify('mta_sts_notify_challenge', 'challenge', 'token'));
    await queryRunner.query(`
      CREATE TRIGGER "mta_sts_domain_served" AFTER INSERT OR DELETE ON "mta_sts_domains"
      FOR EACH ROW EXECUTE FUNCTION mta_sts_notify_domain()`);
    await queryRunner.query(`
      CREATE TRIGGER "mta_sts_domain_changed" AFTER UPDATE ON "mta_sts_domains"
      FOR EACH ROW WHEN (OLD."state" IS DISTINCT FROM NEW."state"
        OR OLD."policyId" IS DISTINCT FROM NEW."policyId"
        OR OLD."policyText" IS DISTINCT FROM NEW."policyText")
      EXECUTE FUNCTION mta_sts_notify_domain()`);
    await queryRunner.query(`
      CREATE TRIGGER "mta_sts_certificate_changed" AFTER INSERT OR UPDATE OR DELETE ON "mta_sts_shared_certificates"
      FOR EACH ROW EXECUTE FUNCTION mta_sts_notify_certificate()`);
    await queryRunner.query(`
      CREATE TRIGGER "mta_sts_challenge_changed" AFTER INSERT OR DELETE ON "mta_sts_challenges"
      FOR EACH ROW EXECUTE FUNCTION mta_sts_notify_challenge()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.query('DROP TRIGGER IF EXISTS "mta_sts_domain_served" ON "mta_sts_domains"');
      await queryRunner.query('DROP TRIGGER IF EXISTS "mta_sts_domain_changed" ON "mta_sts_domains"');
      for (const fn of ['mta_sts_notify_domain', 'mta_sts_notify_certificate', 'mta_sts_notify_challenge']) {
        await queryRunner.query(`DROP FUNCTION IF EXISTS ${fn}() CASCADE`);
      }
    }
    for (const table of [
      'mta_sts_sweeps',
      'mta_sts_leadership',
      'mta_sts_node_domains',
      'mta_sts_nodes',
      'mta_sts_challenge_acks',
      'mta_sts_challenges',
      'mta_sts_shared_certificates',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
