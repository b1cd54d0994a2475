import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS } from '../../src/mta-sts/persistence';
import { TEST_DATABASE, testDatabase } from '../support/test-database';

describe(`MTA-STS migrations on a fresh ${TEST_DATABASE} database`, () => {
  let dir: string;
  let dataSource: DataSource;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-migrations-'));
    dataSource = new DataSource({
      ...(await testDatabase(dir)).options,
      entities: MTA_STS_ENTITIES,
      migrations: MTA_STS_MIGRATIONS,
      synchronize: false,
      logging: false,
    });
    await dataSource.initialize();
  });

  afterEach(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await (await testDatabase(dir)).drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function tableNames(): Promise<string[]> {
    const rows: { name: string }[] = await dataSource.query(
      TEST_DATABASE === 'sqlite'
        ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        : 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name',
    );
    return rows.map((row) => row.name);
  }

  it('creates mta_sts_domains and the audit trail with the columns the entities map, and a unique name', async () => {
    const ran = await dataSource.runMigrations();
    expect(ran.map((migration) => migration.name)).toEqual(MTA_STS_MIGRATIONS.map((migration) => migration.name));
    expect(await tableNames()).toEqual([
      'migrations',
      'mta_sts_actions',
      'mta_sts_challenge_acks',
      'mta_sts_challenges',
      'mta_sts_check_events',
      'mta_sts_checks',
      'mta_sts_domain_activity',
      'mta_sts_domains',
      'mta_sts_fetchers',
      'mta_sts_leadership',
      'mta_sts_log_cursors',
      'mta_sts_node_domains',
      'mta_sts_nodes',
      'mta_sts_policy_fetches',
      'mta_sts_shared_certificates',
      'mta_sts_sweeps',
      'mta_sts_tls_daily',
      'mta_sts_tls_failures',
      'mta_sts_tls_reports',
    ]);

    for (const table of [
      'mta_sts_domains',
      'mta_sts_actions',
      'mta_sts_tls_reports',
      'mta_sts_tls_daily',
      'mta_sts_tls_failures',
      'mta_sts_policy_fetches',
      'mta_sts_fetchers',
      'mta_sts_log_cursors',
      'mta_sts_domain_activity',
    ]) {
      const columns = (await dataSource.createQueryRunner().getTable(table))!.columns;
      const entityColumns = dataSource.getMetadata(table).columns.map((column) => column.databaseName);
      expect(columns.map((column) => column.name).sort()).toEqual([...entityColumns].sort());
    }

    const insert = () =>
      dataSource.query(
        `INSERT INTO mta_sts_domains (name, state, mode, "maxAge", mx) VALUES ('example.com', 'inactive', 'testing', 604800, '[]')`,
      );
    await insert();
    await expect(insert()).rejects.toThrow(
      /UNIQUE constraint failed: mta_sts_domains\.name|duplicate key value violates unique constraint/,
    );
  });

  it('leaves nothing for the schema builder to change: the migrated schema matches the entities', async () => {
    await dataSource.runMigrations();
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('does nothing when the migrations run a second time', async () => {
    await dataSource.runMigrations();
    expect(await dataSource.runMigrations()).toEqual([]);
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('deletes the checks of a domain with the domain', async () => {
    await dataSource.runMigrations();
    await dataSource.query(
      `INSERT INTO mta_sts_domains (name, state, mode, "maxAge", mx) VALUES ('example.com', 'active', 'testing', 604800, '[]')`,
    );
    await dataSource.query(
      `INSERT INTO mta_sts_checks ("domainId", "check", status, summary, detail, remedy, "observedAt", since)
         SELECT id, 'dns', 'pass', '', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM mta_sts_domains`,
    );
    await dataSource.query("DELETE FROM mta_sts_domains WHERE name = 'example.com'");
    const [{ n }] = (await dataSource.query('SELECT COUNT(*) AS n FROM mta_sts_checks')) as { n: number | string }[];
    expect(Number(n)).toBe(0);
  });

  it('upgrades domains from hash ids keeping each current id, which DNS already announces', async () => {
    // The database as the version before policy instances left it.
    const upgrade = MTA_STS_MIGRATIONS.findIndex((migration) => migration.name === 'PolicyInstances1764200000000');
    await dataSource.destroy();
    const before = new DataSource({
      ...(await testDatabase(dir)).options,
      migrations: MTA_STS_MIGRATIONS.slice(0, upgrade),
    });
    await before.initialize();
    await before.runMigrations();
    // The id of test/golden/policy-testing.txt as that version announced it (SHA-256, checked with openssl).
    const announced = '57c0b2e9044f1929fd313349db8c6c5d';
    await before.query(
      `INSERT INTO mta_sts_domains (name, state, mode, "maxAge", mx, "servedPolicyId") VALUES
         ('served.example', 'active', 'testing', 604800, '["mx1.example.com","mx2.example.com"]', '${announced}'),
         ('nomx.example', 'inactive', 'testing', 604800, '[]', NULL)`,
    );
    await before.destroy();

    await dataSource.initialize();
    expect((await dataSource.runMigrations()).map((migration) => migration.name)).toEqual(
      MTA_STS_MIGRATIONS.slice(upgrade).map((migration) => migration.name),
    );
    const rows: Record<string, unknown>[] = await dataSource.query(
      'SELECT name, "servedPolicyId", "policyId", "policyText", "policySerial" FROM mta_sts_domains ORDER BY name',
    );
    expect(rows).toEqual([
      { name: 'nomx.example', servedPolicyId: null, policyId: null, policyText: null, policySerial: 0 },
      {
        name: 'served.example',
        servedPolicyId: announced,
        policyId: announced,
        policyText: readFileSync(join(__dirname, '..', 'golden', 'policy-testing.txt'), 'utf8'),
        policySerial: 0,
      },
    ]);
  });

  it('drops every table when the migrations are undone, newest first', async () => {
    await dataSource.runMigrations();
    for (let undo = 0; undo < MTA_STS_MIGRATIONS.length; undo++) await dataSource.undoLastMigration();
    expect(await tableNames()).toEqual(['migrations']);
    expect(await dataSource.showMigrations()).toBe(true);
  });
});
