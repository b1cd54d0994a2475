import { PolicyHostAddresses } from './cluster/host-addresses';
import type { ServerAddresses } from '../domain/dns-records';
import { Inject, Injectable } from '@nestjs/common';
import { domainToASCII } from 'node:url';
import { Badge } from '../domain/checks';
import { ConflictError } from '../domain/errors';
import { DomainName, parseDomainName } from '../domain/hostname';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { DomainStore } from '../ports/domain-store.port';
import { DELETABLE, deleteRefusal, newDomain } from '../domain/transitions';
import { Clock } from '../ports/clock.port';
import { DomainView, toDomainView } from './domain-view';
import { ChecksService } from './checks.service';
import { Actor, SYSTEM_ACTOR } from './audit.service';
import { isServing } from '../domain/domain-state';
import { MxLookupService } from './mx-lookup.service';
import { trail } from '../domain/wording';
import { customerRecords } from '../domain/delegation';
import { DnsPublishing } from './dns-publishing';

/** Most domains one page of the list holds (pages and API alike). */
export const MAX_PAGE_SIZE = 200;

export interface DomainQuery {
  /** Part of a domain name (Unicode or A-label). */
  readonly search?: string;
  readonly badge?: Badge;
  /** 1-based. */
  readonly page?: number;
  readonly pageSize?: number;
}

export interface DomainPage {
  readonly items: DomainView[];
  readonly total: number;
  readonly page: number;
  readonly pages: number;
  readonly pageSize: number;
}

/**
 * A search as LIKE patterns for the A-label name and the Unicode name: host name
 * characters only, so LIKE wildcards and quotes are never passed through.
 */
function searchPatterns(search: string | undefined): { ascii: string; unicode: string } | undefined {
  const text = (search ?? '').trim().toLowerCase().normalize('NFC');
  const unicode = text.replace(/[^\p{L}\p{N}.-]/gu, '');
  if (unicode === '') return undefined;
  const ascii = (/[^\x00-\x7f]/.test(unicode) ? domainToASCII(unicode) : unicode).replace(/[^a-z0-9.-]/g, '');
  return { ascii: ascii || unicode, unicode };
}

/** Adding, listing, showing and deleting managed domains. */
@Injectable()
export class DomainsService {
  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(Clock) private readonly clock: Clock,
    private readonly mxLookup: MxLookupService,
    private readonly checks: ChecksService,
    private readonly publishing: DnsPublishing,
    private readonly hostAddresses: PolicyHostAddresses,
  ) {}

  /**
   * Adds a domain in state `inactive` and mode `testing`, with its live MX records looked
   * up so the admin sees the exact DNS records to publish before enabling.
   */
  async add(input: unknown, actor: Actor = SYSTEM_ACTOR): Promise<DomainView> {
    const name = parseDomainName(input);
    if (await this.store.findByName(name.ascii)) throw new ConflictError(`${name.ascii} is already managed here.`);
    const mx = await this.mxLookup.lookup(name);
    const record = newDomain(name, mx, this.options.defaultMaxAge, this.clock.now());
    const saved = await this.store.insert(record, { action: 'add', actor, detail: trail.added });
    if (!saved) throw new ConflictError(`${name.ascii} is already managed here.`);
    return this.view(saved);
  }

  /**
   * One page of the domain list, filtered by name and badge in the database so the list
   * stays quick with thousands of domains.
   */
  async page(query: DomainQuery): Promise<DomainPage> {
    const pageSize = Math.min(Math.max(query.pageSize ?? 50, 1), MAX_PAGE_SIZE);
    const found = await this.store.page({
      badge: query.badge,
      search: searchPatterns(query.search),
      page: query.page ?? 1,
      pageSize,
    });
    const [checks, addresses] = await Promise.all([
      this.checks.latestFor(found.entities.map((entity) => entity.id)),
      this.hostAddresses.current(),
    ]);
    const now = this.clock.now();
    return {
      items: found.entities.map((entity) => this.toView(entity, checks.get(entity.id) ?? [], now, addresses)),
      total: found.total,
      page: found.page,
      pages: found.pages,
      pageSize,
    };
  }

  /** Domains in some states, a page at a time, so a sweep never holds every domain in memory. */
  stream(
    states: readonly MtaStsDomainEntity['state'][],
    pageSize = 200,
    afterId = 0,
  ): AsyncIterable<MtaStsDomainEntity> {
    return this.store.stream(states, pageSize, afterId);
  }

  /** The domain's live MX records as `mx` patterns, or why they cannot back a policy. */
  lookupMx(name: DomainName) {
    return this.mxLookup.lookup(name);
  }

  /** One domain as the card and the API show it; `DomainNotFoundError` when it is not managed here. */
  async get(input: unknown): Promise<DomainView> {
    return this.view(await this.find(parseDomainName(input)));
  }

  /** Deletes an inactive domain. Certificates and keys on disk stay (nothing is lost). */
  async remove(input: unknown, actor: Actor = SYSTEM_ACTOR): Promise<void> {
    const entity = await this.find(parseDomainName(input));
    const refusal = deleteRefusal(entity);
    if (refusal) throw new ConflictError(refusal);
    await this.store.delete(entity, DELETABLE, { action: 'delete', actor, detail: trail.deleted });
  }

  /** Runs the readiness checks of an enabled domain now and returns the fresh results. */
  async runChecks(input: unknown): Promise<DomainView> {
    const entity = await this.find(parseDomainName(input));
    if (!isServing(entity.state)) {
      throw new ConflictError(`${entity.name} is ${entity.state}; checks run for enabled domains. Enable it first.`);
    }
    await this.checks.run(entity, { fresh: true });
    return this.view(await this.find(DomainName.fromValidated(entity.name)));
  }

  /** The recent status changes of a domain's checks, newest first. */
  async history(input: unknown) {
    const entity = await this.find(parseDomainName(input));
    return this.checks.history(entity.id);
  }

  find(name: DomainName): Promise<MtaStsDomainEntity> {
    return this.store.get(name.ascii);
  }

  async view(entity: MtaStsDomainEntity): Promise<DomainView> {
    return this.toView(
      entity,
      await this.checks.latest(entity.id),
      this.clock.now(),
      await this.hostAddresses.current(),
    );
  }

  private toView(
    entity: MtaStsDomainEntity,
    checks: Parameters<typeof toDomainView>[3],
    now: Date,
    addresses: ServerAddresses,
  ): DomainView {
    const view = toDomainView(entity, addresses, this.options.tlsRptRua, checks, now);
    const target = this.publishing.target(entity.name);
    return {
      ...view,
      // Delegated: what the customer publishes once are two CNAMEs (RFC 8461 §8.2).
      ...(target?.delegation && {
        records: customerRecords(DomainName.fromValidated(entity.name), target.delegation, this.options.tlsRptRua),
      }),
      dnsPublishing: target
        ? {
            zone: target.zone.zone,
            delegated: target.delegation !== undefined,
            publishedAt: entity.dnsPublishedAt?.toISOString() ?? null,
            lastError: entity.dnsLastError,
            nextAttemptAt: entity.dnsNextAttemptAt?.toISOString() ?? null,
          }
        : null,
    };
  }
}
