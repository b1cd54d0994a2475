import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThanOrEqual, Repository } from 'typeorm';
import type { DomainState } from '../domain/domain-state';
import type { Transition } from '../domain/transitions';
import { Clock } from '../ports/clock.port';
import { DomainFields, DomainStore, StaleDomainError } from '../ports/domain-store.port';
import { ActionLog } from '../services/action-log';
import { MtaStsActionEntity } from './mta-sts-action.entity';
import { MtaStsDomainEntity } from './mta-sts-domain.entity';
import { Transactions } from './transactions';

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
      if (transition.audit) {
        await manager.getRepository(MtaStsActionEntity).insert({
          domain: domain.name,
          action: transition.audit.action,
          actor: transition.audit.actor.slice(0, 128),
          at: this.clock.now(),
          policyIdBefore: transition.audit.policyIdBefore ?? null,
          policyIdAfter: transition.audit.policyIdAfter ?? null,
          detail: transition.audit.detail,
        });
      }
    });
    if (transition.audit) this.log.record({ ...transition.audit, domain: domain.name, outcome: 'done' });
  }

  async update(id: number, fields: DomainFields): Promise<void> {
    await this.domains.update({ id }, fields);
  }
}
