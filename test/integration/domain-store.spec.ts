import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { SqliteQueryRunner } from 'typeorm/driver/sqlite/SqliteQueryRunner';
import { dropDataSource, migratedDataSource, TEST_DATABASE } from '../support/test-database';
import { DELETABLE, newDomain, startEnable, stepReached } from '../../src/mta-sts/domain/transitions';
import { DomainName } from '../../src/mta-sts/domain/hostname';
import { MtaStsDomainEntity } from '../../src/mta-sts/persistence';
import { MtaStsActionEntity } from '../../src/mta-sts/persistence/mta-sts-action.entity';
import { TypeOrmDomainStore } from '../../src/mta-sts/persistence/typeorm-domain.store';
import { Transactions } from '../../src/mta-sts/persistence/transactions';
import { StaleDomainError } from '../../src/mta-sts/ports/domain-store.port';
import { ActionLog } from '../../src/mta-sts/services/action-log';

/** The TypeORM domain store on a real database (SQLite or PostgreSQL), migrated as a host migrates it. */
describe('TypeOrmDomainStore', () => {
  let dir: string;
  let source: DataSource;
  let store: TypeOrmDomainStore;
  let domain: MtaStsDomainEntity;
  const now = new Date('2026-11-26T12:00:00Z');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-store-'));
    source = await migratedDataSource(dir);
    const log = new ActionLog();
    vi.spyOn(log, 'record').mockImplementation(() => undefined);
    store = new TypeOrmDomainStore(
      source.getRepository(MtaStsDomainEntity),
      new Transactions(source),
      { now: () => now },
      log,
    );
    domain = await source.getRepository(MtaStsDomainEntity).save(
      source.getRepository(MtaStsDomainEntity).create({
        name: 'example.com',
        unicodeName: 'example.com',
        state: 'inactive',
        badge: 'inactive',
        mode: 'testing',
        maxAge: 604_800,
        mx: ['mx.example.com'],
      }),
    );
  });

  afterEach(async () => {
    await dropDataSource(dir, source);
    rmSync(dir, { recursive: true, force: true });
  });

  const actions = () => source.getRepository(MtaStsActionEntity).find({ order: { id: 'ASC' } });

  it('writes the row and its audit entry together', async () => {
    await store.apply(domain, startEnable(domain, 'alice', null));
    expect((await store.findByName('example.com'))?.state).toBe('provisioning');
    expect((await store.findByName('example.com'))?.step).toBe('policy-file');
    expect((await actions()).map(({ action, actor, at }) => ({ action, actor, at }))).toEqual([
      { action: 'enable', actor: 'alice', at: now },
    ]);
  });

  it('lets only one of two writers that decided on the same state win, and the loser writes nothing', async () => {
    const outcomes = await Promise.allSettled([
      store.apply(domain, startEnable(domain, 'alice', null)),
      store.apply(domain, startEnable(domain, 'bob', null)),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refusal = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(refusal.reason).toBeInstanceOf(StaleDomainError);
    expect((refusal.reason as Error).message).toBe(
      'example.com changed meanwhile (it is provisioning now); nothing was changed. Reload and try again.',
    );
    expect((await actions()).map((action) => action.action)).toEqual(['enable']);
  });

  it('refuses a transition decided in another state, and one for a deleted domain', async () => {
    await expect(store.apply(domain, stepReached('certificate'))).rejects.toThrow(
      'example.com changed meanwhile (it is inactive now)',
    );
    expect((await store.findByName('example.com'))?.step).toBeNull();
    await source.getRepository(MtaStsDomainEntity).delete({ id: domain.id });
    await expect(store.apply(domain, startEnable(domain, 'alice', null))).rejects.toThrow(
      'example.com was deleted meanwhile; nothing was changed.',
    );
  });

  it('rolls the row back when its audit entry cannot be written', async () => {
    if (source.options.type === 'sqlite') {
      await source.query(
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON mta_sts_actions BEGIN SELECT RAISE(ABORT, 'audit refused'); END",
      );
    } else {
      await source.query(
        "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql",
      );
      await source.query(
        'CREATE TRIGGER refuse_audit BEFORE INSERT ON mta_sts_actions FOR EACH ROW EXECUTE FUNCTION refuse_audit()',
      );
    }
    await expect(store.apply(domain, startEnable(domain, 'alice', null))).rejects.toThrow('audit refused');
    expect((await store.findByName('example.com'))?.state).toBe('inactive');
  });

  it('adds a domain once: a second add of the name, also at the same moment, gets null and writes nothing', async () => {
    const record = (name: string) =>
      newDomain(DomainName.fromValidated(name), { patterns: [`mx.${name}`], problem: null }, 604_800, now);
    const audit = { action: 'add', actor: 'alice', detail: 'Added to the panel.' };
    const [first, second] = await Promise.all([
      store.insert(record('new.example'), audit),
      store.insert(record('new.example'), audit),
    ]);
    expect([first === null, second === null].sort()).toEqual([false, true]);
    expect((await store.findByName('new.example'))?.state).toBe('inactive');
    expect((await actions()).filter((action) => action.domain === 'new.example')).toHaveLength(1);
  });

  it('deletes only in the states it was asked for, with the audit entry', async () => {
    const audit = { action: 'delete', actor: 'alice', detail: 'Deleted from the panel.' };
    await store.apply(domain, startEnable(domain, 'alice', null));
    expect(await store.delete(domain, DELETABLE, audit)).toBe(false);
    expect(await store.findByName('example.com')).not.toBeNull();
    await source.getRepository(MtaStsDomainEntity).update({ id: domain.id }, { state: 'removed' });
    expect(await store.delete(domain, DELETABLE, audit)).toBe(true);
    expect(await store.findByName('example.com')).toBeNull();
    expect((await actions()).map((action) => action.action)).toEqual(['enable', 'delete']);
  });

  it('pages the list by name, filtered by badge and by a part of either form of the name', async () => {
    for (const name of ['b.example', 'a.example', 'xn--bcher-kva.example']) {
      await store.insert(newDomain(DomainName.fromValidated(name), { patterns: [], problem: 'no MX' }, 604_800, now), {
        action: 'add',
        actor: 'alice',
        detail: 'Added.',
      });
    }
    const names = async (query: Parameters<TypeOrmDomainStore['page']>[0]) =>
      (await store.page(query)).entities.map((entity) => entity.name);
    expect(await names({ page: 1, pageSize: 2 })).toEqual(['a.example', 'b.example']);
    expect(await store.page({ page: 9, pageSize: 2 })).toMatchObject({ total: 4, page: 2, pages: 2 });
    expect(await names({ page: 1, pageSize: 10, search: { ascii: 'xn--bcher', unicode: 'bücher' } })).toEqual([
      'xn--bcher-kva.example',
    ]);
    expect(await names({ page: 1, pageSize: 10, badge: 'active' })).toEqual([]);
    // A part that only the Unicode form has, and one only the A-label has.
    expect(await names({ page: 1, pageSize: 10, search: { ascii: 'bücher', unicode: 'üch' } })).toEqual([
      'xn--bcher-kva.example',
    ]);
    expect(await names({ page: 1, pageSize: 10, search: { ascii: 'kva', unicode: 'kva' } })).toEqual([
      'xn--bcher-kva.example',
    ]);
    // A search counts every match and pages them; past the end it answers the last page.
    const search = { ascii: 'example', unicode: 'example' };
    expect(await store.page({ page: 2, pageSize: 2, search })).toMatchObject({ total: 4, page: 2, pages: 2 });
    expect((await store.page({ page: 2, pageSize: 2, search })).entities.map((entity) => entity.name)).toEqual([
      'example.com',
      'xn--bcher-kva.example',
    ]);
    expect(await store.page({ page: 7, pageSize: 2, search })).toMatchObject({ total: 4, page: 2, pages: 2 });
    expect(await store.page({ page: 3, pageSize: 2, search: { ascii: 'nothing', unicode: 'nothing' } })).toMatchObject({
      entities: [],
      total: 0,
      page: 1,
      pages: 1,
    });
  });

  it.skipIf(TEST_DATABASE !== 'sqlite')(
    "counts a search's matches from an index alone, with or without a badge, never reading the rows",
    async () => {
      const sent: { sql: string; parameters: unknown[] }[] = [];
      const query = SqliteQueryRunner.prototype.query;
      const spy = vi.spyOn(SqliteQueryRunner.prototype, 'query').mockImplementation(function (
        this: SqliteQueryRunner,
        sql: string,
        parameters?: unknown[],
        ...rest: unknown[]
      ) {
        sent.push({ sql, parameters: parameters ?? [] });
        return (query as (...args: unknown[]) => Promise<unknown>).call(this, sql, parameters, ...rest);
      } as typeof query);
      const search = { ascii: 'exam', unicode: 'exam' };
      await store.page({ page: 1, pageSize: 10, search });
      await store.page({ page: 1, pageSize: 10, search, badge: 'inactive' });
      spy.mockRestore();
      const counts = sent.filter(({ sql }) => sql.includes('COUNT('));
      expect(counts).toHaveLength(2);
      for (const { sql, parameters } of counts) {
        expect(sql).not.toMatch(/DISTINCT/);
        const plan = (await source.query(`EXPLAIN QUERY PLAN ${sql}`, parameters)) as { detail: string }[];
        expect(plan.map(({ detail }) => detail).join('; ')).toMatch(/USING COVERING INDEX/);
      }
    },
  );
});
