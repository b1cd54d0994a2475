import { Inject, Injectable } from '@nestjs/common';
import { CHECK_IDS, CheckResult, CheckId, domainBadge, graceStart } from '../domain/checks';
import { NotificationsService } from './notifications.service';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { CheckEvidence } from './check-evidence';
import { CheckEvent, CheckResults } from '../ports/check-results.port';
import { DomainStore } from '../ports/domain-store.port';
import { ActionLog } from './action-log';
import { badgeChangedNotice, tlsWarningNotice } from '../domain/wording';
import { Clock } from '../ports/clock.port';

export type { CheckEvent } from '../ports/check-results.port';

/**
 * Runs the six readiness checks of a domain against the outside world, as a sender would
 * see it, and stores the results with a history of status changes. Pages and API answers
 * read the stored results; nothing here runs inside a page request.
 */
@Injectable()
export class ChecksService {
  private readonly pending: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  private lingering: NodeJS.Timeout | undefined;

  constructor(
    @Inject(CheckResults) private readonly results: CheckResults,
    @Inject(DomainStore) private readonly domains: DomainStore,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(Clock) private readonly clock: Clock,
    private readonly notifications: NotificationsService,
    private readonly evidence: CheckEvidence,
    private readonly log: ActionLog,
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
    const { results, stored } = await this.check(entity, options.fresh ?? false, true);
    await stored;
    return results;
  }

  /**
   * Observes and judges, then queues the results for storing: `stored` settles once they
   * are committed. A sweep moves on to the next domain without waiting for the commit, so
   * its results may wait a moment to be written with others (`LINGER_MS`).
   * `liveMx` is the live MX set as `mx:` patterns, when DNS gave a usable one.
   */
  async observe(
    entity: MtaStsDomainEntity,
    options: { fresh?: boolean } = {},
  ): Promise<{ results: CheckResult[]; stored: Promise<void>; liveMx?: string[] }> {
    return this.check(entity, options.fresh ?? false, false);
  }

  /** Observes, judges and queues the results; `urgent` when the caller waits for them to be stored. */
  private async check(entity: MtaStsDomainEntity, fresh: boolean, urgent: boolean) {
    const { verdicts, liveMx } = await this.evidence.evaluate(entity, fresh);
    const observedAt = this.clock.now();
    const results = verdicts.map((verdict) => ({ ...verdict, observedAt }));
    return { results, stored: this.store(entity.id, entity.servedPolicyId, results, urgent), liveMx };
  }

  /**
   * Resolves once the results waiting to be stored are few again. A sweep waits here
   * when observing runs ahead of the database, so the queue (and the memory it holds)
   * stays bounded however many domains there are.
   */
  async backlogDrained(): Promise<void> {
    while (this.pending.length >= MAX_BACKLOG && this.flushing) await this.flushing.catch(() => undefined);
  }

  /** Writes the results waiting to be stored without their linger: a sweep has ended, nothing more will join them. */
  async writeWaiting(): Promise<void> {
    for (const item of this.pending) item.urgent = true;
    this.schedule();
    while (this.flushing) await this.flushing;
  }

  /** Recomputes the stored badge from the domain's state and its latest results. */
  async refreshBadge(domainId: number): Promise<void> {
    const entity = await this.domains.findById(domainId);
    if (!entity) return;
    const badge = domainBadge(entity.state, await this.latest(domainId), graceStart(entity), this.clock.now());
    if (badge !== entity.badge) await this.domains.update(domainId, { badge });
  }

  latest(domainId: number): Promise<CheckResult[]> {
    return this.results.latest(domainId);
  }

  /** Latest results of many domains at once, for lists. */
  latestFor(domainIds: readonly number[]): Promise<Map<number, CheckResult[]>> {
    return this.results.latestFor(domainIds);
  }

  history(domainId: number, limit = 50): Promise<CheckEvent[]> {
    return this.results.history(domainId, limit);
  }

  /**
   * Stores one domain's results. Writes from many domains are committed together (group
   * commit): results wait up to `LINGER_MS` for others, or while a transaction runs, so a
   * sweep pays one transaction per batch rather than per domain, and SQLite's single
   * connection never sees two transactions at once. `urgent` results (someone is waiting
   * for them) are written as soon as no transaction is running.
   */
  private store(
    domainId: number,
    checkedId: string | null,
    results: readonly CheckResult[],
    urgent: boolean,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ domainId, checkedId, results, urgent, resolve, reject });
      this.schedule();
    });
  }

  /** Starts the next batch now when it is full or awaited, else once the linger has passed. */
  private schedule(): void {
    if (this.flushing || this.pending.length === 0) return;
    if (this.pending.length >= MAX_BATCH || this.pending.some((item) => item.urgent)) {
      clearTimeout(this.lingering);
      this.lingering = undefined;
      this.startFlush();
    } else {
      this.lingering ??= setTimeout(() => {
        this.lingering = undefined;
        if (!this.flushing) this.startFlush();
      }, LINGER_MS);
    }
  }

  /** One batch at a time; when it is written, whatever waits is scheduled in turn. */
  private startFlush(): void {
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      this.schedule();
    });
  }

  /** Writes one batch; the results that arrive meanwhile wait for the next. */
  private async flush(): Promise<void> {
    const batch = this.pending.splice(0, MAX_BATCH);
    try {
      await this.write(batch);
      for (const item of batch) item.resolve();
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  }

  /** One transaction for the batch (`CheckResults.store`), then the notices and log entries it calls for. */
  private async write(batch: readonly PendingWrite[]): Promise<void> {
    const stored = await this.results.store(batch);
    for (const run of stored) {
      const { domain, before, outcome } = run;
      if (outcome.idVisibleAudit) this.log.record({ ...outcome.idVisibleAudit, domain: domain.name, outcome: 'done' });
      if (outcome.badge !== before && outcome.badge !== 'verifying') {
        this.notifications.send(badgeChangedNotice(domain.name, before, outcome.badge, run.results));
      }
      for (const warn of outcome.tlsWarnings) this.notifications.send(tlsWarningNotice(domain.name, warn));
    }
  }
}

interface PendingWrite {
  readonly domainId: number;
  /** The served policy id the results were judged against. */
  readonly checkedId: string | null;
  readonly results: readonly CheckResult[];
  /** Someone waits for these results (a click, the end of a sweep), rather than a sweep that moves on. */
  urgent: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Domains per transaction: large enough to amortise the statements and the commit, small
 * enough to keep a transaction short (250 domains write 1,500 result rows in three statements).
 */
const MAX_BATCH = 250;

/**
 * Domains whose results may wait for storing before a sweep slows down to let the writes
 * catch up: a few batches, so a commit in progress rarely holds the checks up (at 2 × 100
 * they waited for it often enough to lengthen a sweep by a tenth), and still a bounded
 * few megabytes however many domains there are.
 */
const MAX_BACKLOG = 4 * MAX_BATCH;

/**
 * How long a sweep's results may wait for others before they are written. Without it a
 * batch held only the domains checked during the previous commit (about one per domain in
 * flight), and every few dozen results paid a transaction's fixed statements.
 */
const LINGER_MS = 200;
