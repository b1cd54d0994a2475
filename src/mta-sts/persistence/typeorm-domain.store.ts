import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, In, LessThanOrEqual, QueryFailedError, Repository } from 'typeorm';
import type { DomainState } from '../domain/domain-state';
import type { AuditEntry, Transition } from '../domain/transitions';
import type { DomainRecord } from '../domain/domain-record';
import { Clock } from '../ports/clock.port';
import {
  DomainFields,
  DomainListQuery,
  DomainOutline,
  DomainStore,
  StaleDomainError,
} from '../ports/domain-store.port';
import type { EntityManager } from 'typeorm';
import { ActionLog } from '../services/action-log';
import { MtaStsActionEntity, actionRow } from './mta-sts-action.entity';
import { MtaStsDomainEntity } from './mta-sts-domain.entity';
import { Transactions } from './transactions';
import { entitiesAfter } from './bulk-rows';

/** `DomainStore` on the host's TypeORM data source (SQLite, PostgreSQL, …). */
@Injectable()
export class TypeOrmDomainStore extends DomainStore {
  constructor(
    @InjectRepository(MtaStsDomainEntity) private readonly domains: Repository<MtaStsDomainEntity>,
    private readonly transactions: Transactions,
    @Inject(Clock) private readonly clock: Clock,
    private readonly log: ActionLog,
  ) {
    super();
  }

  findByName(name: string): Promise<MtaStsDomainEntity | null> {
    return this.domains.findOneBy({ name });
  }

  findById(id: number): Promise<MtaStsDomainEntity | null> {
    return this.domains.findOneBy({ id });
  }

  findInStates(states: readonly DomainState[]): Promise<MtaStsDomainEntity[]> {
    return this.domains.findBy({ state: In([...states]) });
  }

  findRetirementsDue(now: Date): Promise<MtaStsDomainEntity[]> {
    return this.domains.findBy({ state: 'retiring', retireUntil: LessThanOrEqual(now) });
  }

  async apply(domain: Pick<MtaStsDomainEntity, 'id' | 'name'>, transition: Transition): Promise<void> {
    await this.transactions.run(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(MtaStsDomainEntity)
        .set(transition.patch)
        .where('id = :id', { id: domain.id })
        .andWhere('state IN (:...from)', { from: [...transition.from] })
        .execute();
      if (result.affected !== 1) {
        const found = await manager.findOne(MtaStsDomainEntity, { where: { id: domain.id }, select: ['state'] });
        throw new StaleDomainError(domain.name, found?.state);
      }
      if (transition.audit) await this.recordAudit(manager, domain.name, transition.audit);
    });
    if (transition.audit) this.log.record({ ...transition.audit, domain: domain.name, outcome: 'done' });
  }

  async insert(record: Omit<DomainRecord, 'id'>, audit: AuditEntry): Promise<MtaStsDomainEntity | null> {
    try {
      const saved = await this.transactions.run(async (manager) => {
        const entity = await manager.getRepository(MtaStsDomainEntity).save(this.domains.create(record));
        await this.recordAudit(manager, record.name, audit);
        return entity;
      });
      this.log.record({ ...audit, domain: record.name, outcome: 'done' });
      return saved;
    } catch (error) {
      // Two adds of one name at once: the unique index decides.
      if (error instanceof QueryFailedError && (await this.domains.existsBy({ name: record.name }))) return null;
      throw error;
    }
  }

  async delete(
    domain: Pick<MtaStsDomainEntity, 'id' | 'name'>,
    from: readonly DomainState[],
    audit: AuditEntry,
  ): Promise<boolean> {
    const deleted = await this.transactions.run(async (manager) => {
      const result = await manager.getRepository(MtaStsDomainEntity).delete({ id: domain.id, state: In([...from]) });
      if (result.affected) await this.recordAudit(manager, domain.name, audit);
      return Boolean(result.affected);
    });
    if (deleted) this.log.record({ ...audit, domain: domain.name, outcome: 'done' });
    return deleted;
  }

  /**
   * One page of the list and the number of matching domains. The page is a short read in
   * name order; the count reads the indexes alone (badge, name and Unicode name, see the
   * entity), with a plain `COUNT(*)` (TypeORM's `getCount` counts distinct ids, twice the
   * work). A window count beside the page would read every matching row in full instead.
   * A page past the end is answered with the last one.
   */
  async page(query: DomainListQuery) {
    const matching = () => {
      const builder = this.domains.createQueryBuilder('d');
      if (query.badge) builder.andWhere('d.badge = :badge', { badge: query.badge });
      if (query.search) {
        // A part of a Unicode name has no A-label of its own, so both forms are searched; the
        // Unicode form only where it differs (international names), which spares most rows a
        // second LIKE.
        builder.andWhere(
          new Brackets((either) =>
            either
              .where('d.name LIKE :ascii', { ascii: `%${query.search!.ascii}%` })
              .orWhere('(d.unicodeName <> d.name AND d.unicodeName LIKE :unicode)', {
                unicode: `%${query.search!.unicode}%`,
              }),
          ),
        );
      }
      return builder;
    };
    const read = (page: number) =>
      matching()
        .orderBy('d.name', 'ASC')
        .offset((page - 1) * query.pageSize)
        .limit(query.pageSize)
        .getMany();
    const requested = Math.max(query.page, 1);
    const count = matching().select('COUNT(*)', 'matches').getRawOne<{ matches: number | string }>();
    const [first, counted] = await Promise.all([read(requested), count]);
    const total = Number(counted?.matches ?? 0);
    const pages = Math.max(1, Math.ceil(total / query.pageSize));
    const page = Math.min(requested, pages);
    const entities = page < requested && total > 0 ? await read(page) : first;
    return { entities, total, page, pages };
  }

  /**
   * Every domain in one of `states`, a page at a time in id order. The next page is read
   * while this one is worked through: on SQLite the read waits behind any transaction in
   * progress, and a sweep's workers would otherwise all wait for it at each page's end.
   */
  async *stream(states: readonly DomainState[], pageSize = 200, afterId = 0): AsyncIterable<MtaStsDomainEntity> {
    const read = (after: number) =>
      entitiesAfter(
        this.domains.manager,
        MtaStsDomainEntity,
        { property: 'state', values: states },
        'id',
        after,
        pageSize,
      );
    let page = await read(afterId);
    for (;;) {
      const next = page.length < pageSize ? undefined : read(page[page.length - 1].id);
      // A failed read surfaces where it is awaited; a consumer that stops early leaves it unread.
      next?.catch(() => undefined);
      yield* page;
      if (!next) return;
      page = await next;
    }
  }

  private async recordAudit(manager: EntityManager, domain: string, audit: AuditEntry): Promise<void> {
    await manager.getRepository(MtaStsActionEntity).insert(actionRow(domain, audit, this.clock.now()));
  }

  async outlines(states: readonly DomainState[]): Promise<DomainOutline[]> {
    // Raw rows: building 10,000 entities costs several times the query.
    return this.domains
      .createQueryBuilder('d')
      .select(['d.name AS name', 'd.state AS state', 'd.mode AS mode'])
      .where('d.state IN (:...states)', { states: [...states] })
      .orderBy('d.name', 'ASC')
      .getRawMany<DomainOutline>();
  }

  async outlinesOf(names: readonly string[]): Promise<DomainOutline[]> {
    const found: DomainOutline[] = [];
    for (let start = 0; start < names.length; start += 500) {
      found.push(
        ...(await this.domains.find({
          select: { name: true, state: true, mode: true },
          where: { name: In(names.slice(start, start + 500)) },
        })),
      );
    }
    return found;
  }

  async update(id: number, fields: DomainFields): Promise<void> {
    await this.domains.update({ id }, fields);
  }
}
