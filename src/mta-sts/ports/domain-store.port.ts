import { ConflictError, DomainNotFoundError } from '../domain/errors';
import type { DomainState } from '../domain/domain-state';
import type { AuditEntry, Transition } from '../domain/transitions';
import type { Badge } from '../domain/badges';
import type { DomainRecord } from '../domain/domain-record';
import type { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';

/** The columns written outside the lifecycle (settings, certificate, look-up results); never `state`. */
export type DomainFields = Partial<Omit<MtaStsDomainEntity, 'id' | 'name' | 'state'>>;

export interface DomainListQuery {
  readonly badge?: Badge;
  /** A part of the name, as an A-label and as Unicode. */
  readonly search?: { readonly ascii: string; readonly unicode: string };
  readonly page: number;
  readonly pageSize: number;
}

/** Another writer moved the domain on between the decision and the write; nothing was written. */
export class StaleDomainError extends ConflictError {
  constructor(
    readonly domain: string,
    readonly found: DomainState | undefined,
  ) {
    super(
      found === undefined
        ? `${domain} was deleted meanwhile; nothing was changed.`
        : `${domain} changed meanwhile (it is ${found} now); nothing was changed. Reload and try again.`,
    );
  }
}

/**
 * The domains' storage. A lifecycle change is written by `apply` only: the row, guarded
 * by the states the transition was decided in (compare-and-set, so of two writers that
 * decided on the same state only one wins), and its audit entry, in one transaction.
 */
/** A domain in a few words, for views across every domain. */
export interface DomainOutline {
  readonly name: string;
  readonly state: DomainState;
  readonly mode: MtaStsDomainEntity['mode'];
}

export abstract class DomainStore {
  abstract findByName(name: string): Promise<MtaStsDomainEntity | null>;
  /** The domain with this A-label name; `DomainNotFoundError` when it is not managed here. */
  async get(name: string): Promise<MtaStsDomainEntity> {
    const entity = await this.findByName(name);
    if (!entity) throw new DomainNotFoundError(name);
    return entity;
  }
  abstract findById(id: number): Promise<MtaStsDomainEntity | null>;
  abstract findInStates(states: readonly DomainState[]): Promise<MtaStsDomainEntity[]>;
  /** Retiring domains whose retirement ends at or before `now`. */
  abstract findRetirementsDue(now: Date): Promise<MtaStsDomainEntity[]>;
  /** Applies a lifecycle transition, or throws `StaleDomainError` and writes nothing. */
  abstract apply(domain: Pick<MtaStsDomainEntity, 'id' | 'name'>, transition: Transition): Promise<void>;
  /** Adds a domain and its audit entry in one transaction; null when the name is taken. */
  abstract insert(record: Omit<DomainRecord, 'id'>, audit: AuditEntry): Promise<MtaStsDomainEntity | null>;
  /** Deletes the domain if it is in one of `from`, with its audit entry; false when it was not. */
  abstract delete(
    domain: Pick<MtaStsDomainEntity, 'id' | 'name'>,
    from: readonly DomainState[],
    audit: AuditEntry,
  ): Promise<boolean>;
  /** One page of the list, by name, filtered by badge and by a part of the name in either form. */
  abstract page(
    query: DomainListQuery,
  ): Promise<{ entities: MtaStsDomainEntity[]; total: number; page: number; pages: number }>;
  /** Domains in some states, a page at a time, so a sweep never holds every domain in memory. */
  abstract stream(
    states: readonly DomainState[],
    pageSize?: number,
    afterId?: number,
  ): AsyncIterable<MtaStsDomainEntity>;
  /** Name, state and mode of every domain in some states, by name: what an overview needs, no more. */
  abstract outlines(states: readonly DomainState[]): Promise<DomainOutline[]>;
  /** The outlines of those of `names` (A-labels) that are managed here, in one look-up. */
  abstract outlinesOf(names: readonly string[]): Promise<DomainOutline[]>;
  /** Writes columns outside the lifecycle. */
  abstract update(id: number, fields: DomainFields): Promise<void>;
}
