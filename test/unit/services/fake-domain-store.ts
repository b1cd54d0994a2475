import type { DomainRecord } from '../../../src/mta-sts/domain/domain-record';
import type { DomainState } from '../../../src/mta-sts/domain/domain-state';
import type { AuditEntry, Transition } from '../../../src/mta-sts/domain/transitions';
import type { MtaStsDomainEntity } from '../../../src/mta-sts/persistence/mta-sts-domain.entity';
import {
  DomainFields,
  DomainListQuery,
  DomainOutline,
  DomainStore,
  StaleDomainError,
} from '../../../src/mta-sts/ports/domain-store.port';

/**
 * `DomainStore` in memory, with the same compare-and-set rule as the TypeORM store: a
 * transition in any state but the ones it was decided in writes nothing and throws.
 */
export class FakeDomainStore extends DomainStore {
  readonly rows = new Map<number, MtaStsDomainEntity>();
  readonly trail: Array<AuditEntry & { domain: string }> = [];
  readonly applied: Array<{ domain: string; transition: Transition }> = [];
  private nextId = 1;

  put(record: Partial<DomainRecord> & Pick<DomainRecord, 'name' | 'state'>): MtaStsDomainEntity {
    const entity = { id: this.nextId++, ...record } as MtaStsDomainEntity;
    this.rows.set(entity.id, entity);
    return { ...entity };
  }

  async findByName(name: string) {
    return this.copy([...this.rows.values()].find((row) => row.name === name));
  }
  async findById(id: number) {
    return this.copy(this.rows.get(id));
  }
  async findInStates(states: readonly DomainState[]) {
    return [...this.rows.values()].filter((row) => states.includes(row.state)).map((row) => ({ ...row }));
  }
  async findRetirementsDue(now: Date) {
    return [...this.rows.values()]
      .filter((row) => row.state === 'retiring' && row.retireUntil && row.retireUntil <= now)
      .map((row) => ({ ...row }));
  }
  async apply(domain: Pick<MtaStsDomainEntity, 'id' | 'name'>, transition: Transition): Promise<void> {
    const row = this.rows.get(domain.id);
    if (!row || !transition.from.includes(row.state)) throw new StaleDomainError(domain.name, row?.state);
    Object.assign(row, transition.patch);
    this.applied.push({ domain: domain.name, transition });
    if (transition.audit) this.trail.push({ ...transition.audit, domain: domain.name });
  }
  async update(id: number, fields: DomainFields): Promise<void> {
    const row = this.rows.get(id);
    if (row) Object.assign(row, fields);
  }
  async insert(): Promise<MtaStsDomainEntity | null> {
    throw new Error('not used here');
  }
  async delete(): Promise<boolean> {
    throw new Error('not used here');
  }
  async page(_query: DomainListQuery): Promise<never> {
    throw new Error('not used here');
  }
  async *stream(states: readonly DomainState[], _pageSize = 200, afterId = 0): AsyncIterable<MtaStsDomainEntity> {
    const rows = [...this.rows.values()].sort((a, b) => a.id - b.id);
    for (const row of rows) if (row.id > afterId && states.includes(row.state)) yield { ...row };
  }

  async outlines(states: readonly DomainState[]): Promise<DomainOutline[]> {
    return [...this.rows.values()]
      .filter((row) => states.includes(row.state))
      .map(({ name, state, mode }) => ({ name, state, mode }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async outlinesOf(names: readonly string[]): Promise<DomainOutline[]> {
    return [...this.rows.values()]
      .filter((row) => names.includes(row.name))
      .map(({ name, state, mode }) => ({ name, state, mode }));
  }

  private copy(row: MtaStsDomainEntity | undefined) {
    return row ? { ...row } : null;
  }
}
