import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { startEnable, stepReached } from '../../src/mta-sts/domain/transitions';
import { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS, MtaStsDomainEntity } from '../../src/mta-sts/persistence';
import { MtaStsActionEntity } from '../../src/mta-sts/persistence/mta-sts-action.entity';
import { TypeOrmDomainStore } from '../../src/mta-sts/persistence/typeorm-domain.store';
import { Transactions } from '../../src/mta-sts/persistence/transactions';
import { StaleDomainError } from '../../src/mta-sts/ports/domain-store.port';
import { ActionLog } from '../../src/mta-sts/services/action-log';

/** The TypeORM domain store on a real SQLite database, migrated as a host migrates it. */
describe('TypeOrmDomainStore', () => {
  let dir: string;
  let source: DataSource;
  let store: TypeOrmDomainStore;
  let domain: MtaStsDomainEntity;
  const now = new Date('2026-11-26T12:00:00Z');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-store-'));
    source = new DataSource({
      type: 'sqlite',
      database: join(dir, 'store.sqlite'),
      entities: MTA_STS_ENTITIES,
      migrations: MTA_STS_MIGRATIONS,
      migrationsRun: true,
      logging: false,
    });
    await source.initialize();
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
    await source.destroy();
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
    await source.query(
      "CREATE TRIGGER refuse_audit BEFORE INSERT ON mta_sts_actions BEGIN SELECT RAISE(ABORT, 'audit refused'); END",
    );
    await expect(store.apply(domain, startEnable(domain, 'alice', null))).rejects.toThrow('audit refused');
    expect((await store.findByName('example.com'))?.state).toBe('inactive');
  });
});
