import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { CHECK_IDS, CheckResult, CheckId, domainBadge, graceStart, Badge } from '../domain/checks';
import { NotificationsService } from './notifications.service';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsCheckEntity, MtaStsCheckEventEntity } from '../persistence/mta-sts-check.entity';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { MtaStsActionEntity } from '../persistence/mta-sts-action.entity';
import { SYSTEM_ACTOR } from './audit.service';
import { CheckEvidence } from './check-evidence';
import { Transactions } from '../persistence/transactions';
import { badgeChangedNotice, tlsWarningNotice } from '../domain/messages';
import { Clock } from '../ports/clock.port';

export interface CheckEvent {
  readonly check: string;
  readonly previousStatus: string | null;
  readonly status: string;
  readonly summary: string;
  readonly at: Date;
}

/**
 * Runs the six readiness checks of a domain against the outside world, as a sender would
 * see it, and stores the results with a history of status changes. Pages and API answers
 * read the stored results; nothing here runs inside a page request.
 */
@Injectable()
export class ChecksService {
  private readonly pending: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    @InjectRepository(MtaStsCheckEntity) private readonly checks: Repository<MtaStsCheckEntity>,
    @InjectRepository(MtaStsCheckEventEntity) private readonly events: Repository<MtaStsCheckEventEntity>,
    @InjectRepository(MtaStsDomainEntity) private readonly domains: Repository<MtaStsDomainEntity>,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(Clock) private readonly clock: Clock,
    private readonly notifications: NotificationsService,
    private readonly evidence: CheckEvidence,
    private readonly transactions: Transactions,
  ) {}

  /** The checks that run here: all of them, less the STARTTLS probe when it is turned off. */
  get enabledChecks(): readonly CheckId[] {
    return this.options.checks.smtpProbe.enabled ? CHECK_IDS : CHECK_IDS.filter((id) => id !== 'mx-tls');
  }

  /**
   * Observes, judges and stores; returns the fresh results in `CHECK_IDS` order. `fresh`
   * probes MX hosts again even when a recent result could be reused (promotion, a click).
   */
  async run(entity: MtaStsDomainEntity, options: { fresh?: boolean } = {}): Promise<CheckResult[]> {
    const { results, stored } = await this.observe(entity, options);
    await stored;
    return results;
  }

  /**
   * Observes and judges, then queues the results for storing: `stored` settles once they
   * are committed. A sweep moves on to the next domain without waiting for the commit.
   * `liveMx` is the live MX set as `mx:` patterns, when DNS gave a usable one.
   */
  async observe(
    entity: MtaStsDomainEntity,
    options: { fresh?: boolean } = {},
  ): Promise<{ results: CheckResult[]; stored: Promise<void>; liveMx?: string[] }> {
    const { verdicts, liveMx } = await this.evidence.evaluate(entity, options.fresh ?? false);
    const observedAt = this.clock.now();
    const results = verdicts.map((verdict) => ({ ...verdict, observedAt }));
    return { results, stored: this.store(entity.id, entity.servedPolicyId, results), liveMx };
  }

  /**
   * Resolves once the results waiting to be stored are few again. A sweep waits here
   * when observing runs ahead of the database, so the queue (and the memory it holds)
   * stays bounded however many domains there are.
   */
  async backlogDrained(): Promise<void> {
    while (this.pending.length >= MAX_BACKLOG && this.flushing) await this.flushing.catch(() => undefined);
  }

  /** Recomputes the stored badge from the domain's state and its latest results. */
  async refreshBadge(domainId: number): Promise<void> {
    const entity = await this.domains.findOneBy({ id: domainId });
    if (!entity) return;
    const badge = domainBadge(entity.state, await this.latest(domainId), graceStart(entity), this.clock.now());
    if (badge !== entity.badge) await this.domains.update({ id: domainId }, { badge });
  }

  async latest(domainId: number): Promise<CheckResult[]> {
    const rows = await this.checks.findBy({ domainId });
    return CHECK_IDS.flatMap((id) => rows.filter((row) => row.check === id)).map(toResult);
  }

  /** Latest results of many domains at once, for lists. */
  async latestFor(domainIds: readonly number[]): Promise<Map<number, CheckResult[]>> {
    const byDomain = new Map<number, CheckResult[]>();
    if (domainIds.length === 0) return byDomain;
    for (const row of await this.checks.findBy({ domainId: In([...domainIds]) })) {
      byDomain.set(row.domainId, [...(byDomain.get(row.domainId) ?? []), toResult(row)]);
    }
    return byDomain;
  }

  async history(domainId: number, limit = 50): Promise<CheckEvent[]> {
    const rows = await this.events.find({ where: { domainId }, order: { at: 'DESC', id: 'DESC' }, take: limit });
    return rows.map(({ check, previousStatus, status, summary, at }) => ({
      check,
      previousStatus,
      status,
      summary,
      at,
    }));
  }

  /**
   * Stores one domain's results. Writes from many domains are committed together (group
   * commit): while one transaction runs, the results that arrive wait for the next, so a
   * sweep pays one commit per batch rather than per domain, and SQLite's single connection
   * never sees two transactions at once.
   */
  private store(domainId: number, checkedId: string | null, results: readonly CheckResult[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ domainId, checkedId, results, resolve, reject });
      this.flushing ??= this.flush().finally(() => {
        this.flushing = undefined;
      });
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        await this.write(batch);
        for (const item of batch) item.resolve();
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
  }

  /** One transaction: the latest results (one upsert), an event per changed status, badges and run times. */
  private async write(batch: readonly PendingWrite[]): Promise<void> {
    const notices: Notice[] = [];
    await this.transactions.run(async (manager) => {
      const checks = manager.getRepository(MtaStsCheckEntity);
      const domains = manager.getRepository(MtaStsDomainEntity);
      const ids = [...new Set(batch.map((item) => item.domainId))];
      const previous = new Map(
        (await checks.find({ where: { domainId: In(ids) }, select: ['domainId', 'check', 'status', 'since'] })).map(
          (row) => [`${row.domainId}/${row.check}`, row],
        ),
      );
      const rows: Partial<MtaStsCheckEntity>[] = [];
      const events: Partial<MtaStsCheckEventEntity>[] = [];
      for (const { domainId, results } of batch) {
        for (const result of results) {
          const key = `${domainId}/${result.check}`;
          const before = previous.get(key);
          const changed = before?.status !== result.status;
          const since = changed ? result.observedAt : before!.since;
          previous.set(key, { domainId, check: result.check, status: result.status, since } as MtaStsCheckEntity);
          rows.push({
            domainId,
            check: result.check,
            status: result.status,
            summary: result.summary,
            detail: result.detail,
            remedy: result.remedy,
            observed: result.observed
              ? Object.fromEntries(Object.entries(result.observed).map(([type, values]) => [type, [...values]]))
              : null,
            observedAt: result.observedAt,
            since,
          });
          if (changed) {
            events.push({
              domainId,
              check: result.check,
              previousStatus: before?.status ?? null,
              status: result.status,
              summary: result.summary,
              at: result.observedAt,
            });
          }
        }
      }
      // The same domain twice in a batch: its later results win.
      const latest = new Map(rows.map((row) => [`${row.domainId}/${row.check}`, row]));
      await checks.upsert([...latest.values()], {
        conflictPaths: ['domainId', 'check'],
        skipUpdateIfNoValuesChanged: false,
      });
      if (events.length > 0) await manager.getRepository(MtaStsCheckEventEntity).insert(events);
      // Badges and run times: one UPDATE per badge rather than one per domain. The run time
      // is the batch's latest observation (its domains were observed within moments).
      const latestByDomain = new Map(batch.map((item) => [item.domainId, item.results]));
      const checkedIds = new Map(batch.map((item) => [item.domainId, item.checkedId]));
      const ranAt = new Date(
        Math.max(...batch.map((item) => (item.results[0]?.observedAt ?? this.clock.now()).getTime())),
      );
      const states = await domains.find({
        where: { id: In(ids) },
        select: [
          'id',
          'name',
          'state',
          'badge',
          'mode',
          'enabledAt',
          'servedPolicyId',
          'policyPublishedAt',
          'policyVisibleAt',
        ],
      });
      const eventsByDomain = new Map<number, Partial<MtaStsCheckEventEntity>[]>();
      for (const event of events) {
        eventsByDomain.set(event.domainId!, [...(eventsByDomain.get(event.domainId!) ?? []), event]);
      }
      const byBadge = new Map<Badge, number[]>();
      const visible: MtaStsDomainEntity[] = [];
      const completed: number[] = [];
      for (const domain of states) {
        const results = latestByDomain.get(domain.id) ?? [];
        // §8.1: the new id is announced; senders will now fetch the policy already served.
        const announced = results.some((result) => result.check === 'policy-record' && result.status === 'pass');
        // Results judged against an id that has since been replaced say nothing about the new one.
        const current = checkedIds.get(domain.id) === domain.servedPolicyId;
        if (announced && current && domain.servedPolicyId && !domain.policyVisibleAt) {
          visible.push(domain);
          if (domain.state === 'changing') {
            domain.state = 'active';
            completed.push(domain.id);
          }
        }
        const badge = domainBadge(domain.state, results, graceStart(domain), ranAt);
        byBadge.set(badge, [...(byBadge.get(badge) ?? []), domain.id]);
        if (badge !== domain.badge) notices.push({ domain, before: domain.badge, after: badge, results });
        if (domain.mode === 'enforce') {
          for (const event of eventsByDomain.get(domain.id) ?? []) {
            if (event.status === 'warn' && TLS_RISK_CHECKS.includes(event.check!)) {
              notices.push({ domain, before: domain.badge, after: badge, results, warn: event });
            }
          }
        }
      }
      for (const [badge, domainIds] of byBadge) {
        await domains.update({ id: In(domainIds) }, { checksRanAt: ranAt, badge });
      }
      // Newly announced ids (also during Enable, when the TXT record came first): one UPDATE
      // for the time, one for the domains whose change is now complete, one trail insert.
      if (visible.length > 0) {
        await domains.update({ id: In(visible.map((domain) => domain.id)) }, { policyVisibleAt: ranAt });
      }
      if (completed.length > 0) await domains.update({ id: In(completed) }, { state: 'active' });
      if (visible.length > 0) {
        await manager.getRepository(MtaStsActionEntity).insert(
          visible.map((domain) => ({
            domain: domain.name,
            action: 'id-visible',
            actor: SYSTEM_ACTOR,
            at: ranAt,
            policyIdBefore: domain.servedPolicyId,
            policyIdAfter: domain.servedPolicyId,
            detail: `The _mta-sts TXT record now announces id ${domain.servedPolicyId}.`,
          })),
        );
      }
    });
    for (const notice of notices) this.notify(notice);
  }

  /** One notice per badge change (not into Verifying, which is transient), and per TLS warning under enforce. */
  private notify(notice: Notice): void {
    const { domain, before, after, results, warn } = notice;
    if (warn) {
      this.notifications.send(
        tlsWarningNotice(domain.name, warn as { check: string; status: string; summary: string }),
      );
    } else if (after !== 'verifying') {
      this.notifications.send(badgeChangedNotice(domain.name, before, after, results));
    }
  }
}

interface Notice {
  readonly domain: MtaStsDomainEntity;
  readonly before: Badge;
  readonly after: Badge;
  readonly results: readonly CheckResult[];
  readonly warn?: Partial<MtaStsCheckEventEntity>;
}

/** Checks whose warning, under enforce, means mail may soon bounce. */
const TLS_RISK_CHECKS: readonly string[] = ['certificate', 'mx-tls'];

interface PendingWrite {
  readonly domainId: number;
  /** The served policy id the results were judged against. */
  readonly checkedId: string | null;
  readonly results: readonly CheckResult[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Domains per transaction: large enough to amortise the commit, small enough to keep it short. */
const MAX_BATCH = 100;

/** Domains whose results may wait for storing before a sweep slows down to let the writes catch up. */
const MAX_BACKLOG = 2 * MAX_BATCH;

function toResult(row: MtaStsCheckEntity): CheckResult {
  return {
    check: row.check,
    status: row.status,
    summary: row.summary,
    detail: row.detail,
    remedy: row.remedy,
    ...(row.observed ? { observed: row.observed } : {}),
    observedAt: new Date(row.observedAt),
  };
}
