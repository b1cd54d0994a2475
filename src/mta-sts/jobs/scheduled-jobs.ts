import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { ChecksService } from '../services/checks.service';
import { DomainsService } from '../services/domains.service';
import { RenewalService } from '../services/renewal.service';
import { Sweep, SweepReport } from '../services/sweep';
import { CheckFollowUps } from '../services/check-follow-ups';
import { SERVING_STATES } from '../domain/domain-state';
import { SweepJob, SweepTurn, SweepTurns } from '../services/cluster/sweep-turns';

export const CHECKS_JOB = 'mta-sts-checks';
export const RENEWALS_JOB = 'mta-sts-renewals';

/** A domain's checks make a handful of bounded network calls; this bounds the whole. */
const CHECK_TIMEOUT_MS = 60_000;
/** An ACME order is bounded request by request; this bounds the whole renewal. */
const RENEWAL_TIMEOUT_MS = 5 * 60_000;

/**
 * The scheduled entry points. They are added to the host's `SchedulerRegistry` (from the
 * host's own `ScheduleModule.forRoot()`), so they run once per process however the module
 * is imported, and they only walk domains and call services.
 */
/** How a sweep is asked for. */
export interface RunOptions {
  /** Start after a random delay (scheduled runs). */
  readonly jitter?: boolean;
  /** A scheduled run: in a cluster, only the leader runs it, and it records its progress. */
  readonly scheduled?: boolean;
  /** Go on after this domain id (a new leader resuming its predecessor's sweep). */
  readonly resumeAfter?: number;
}

/** What the last run of a sweep did. */
export interface LastRun {
  readonly finishedAt: Date;
  readonly seconds: number;
  readonly processed: number;
  readonly failed: number;
}

@Injectable()
export class ScheduledJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MtaSts');
  private readonly checkSweep: Sweep<MtaStsDomainEntity>;
  private readonly renewalSweep: Sweep<MtaStsDomainEntity>;

  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    private readonly turns: SweepTurns,
    @Optional() @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry | undefined,
    private readonly domains: DomainsService,
    private readonly checks: ChecksService,
    private readonly renewals: RenewalService,
    private readonly followUps: CheckFollowUps,
  ) {
    const label = (entity: MtaStsDomainEntity) => entity.name;
    this.checkSweep = new Sweep(
      { concurrency: options.checks.concurrency, itemTimeoutMs: CHECK_TIMEOUT_MS, jitterMs: options.checks.jitterMs },
      label,
      turns.random,
    );
    this.renewalSweep = new Sweep(
      {
        concurrency: options.renewals.concurrency,
        itemTimeoutMs: RENEWAL_TIMEOUT_MS,
        jitterMs: options.renewals.jitterMs,
      },
      label,
      turns.random,
    );
  }

  onApplicationBootstrap(): void {
    if (!this.registry) {
      throw new Error(
        'MtaStsModule schedules checks and certificate renewals through @nestjs/schedule: import ScheduleModule.forRoot() in the host application.',
      );
    }
    this.turns.onElected(() => {
      this.resumeUnfinished().catch((error: unknown) =>
        this.logger.error(`Could not resume the previous leader's sweeps: ${String(error)}`),
      );
    });
    this.schedule(CHECKS_JOB, this.options.checks.cron, () => this.runChecks({ jitter: true, scheduled: true }));
    this.schedule(RENEWALS_JOB, this.options.renewals.cron, () => this.runRenewals({ jitter: true, scheduled: true }));
  }

  /**
   * A new leader of a cluster goes on with the sweeps its predecessor left unfinished,
   * from the first domain it had not done.
   */
  async resumeUnfinished(): Promise<void> {
    const checks = await this.turns.unfinished('checks');
    if (checks !== undefined) {
      this.logger.log(`Resuming the checks sweep the previous leader left after domain #${checks}.`);
      await this.runChecks({ scheduled: true, resumeAfter: checks });
    }
    const renewals = await this.turns.unfinished('renewals');
    if (renewals !== undefined) await this.runRenewals({ scheduled: true, resumeAfter: renewals });
  }

  /**
   * The turn a run takes: a scheduled one only on the leader of a cluster. A run asked for
   * by hand on the leader is the cluster's sweep too (recorded, resumed if the leader
   * stops); on another node it runs there alone.
   */
  private async turn(job: SweepJob, run: RunOptions): Promise<SweepTurn | undefined> {
    if (!run.scheduled && !this.turns.leadsCluster()) return this.turns.manual();
    return this.turns.scheduled(job, run.resumeAfter);
  }

  /** The domains a turn walks, in id order, stopping when the node no longer leads. */
  private async *domainsOf(turn: SweepTurn): AsyncIterable<MtaStsDomainEntity> {
    for await (const entity of this.domains.stream(SERVING_STATES, 200, turn.after)) {
      if (!turn.current) return;
      yield entity;
    }
  }

  onModuleDestroy(): void {
    for (const name of [CHECKS_JOB, RENEWALS_JOB]) {
      if (this.registry?.doesExist('cron', name)) this.registry.deleteCronJob(name);
    }
  }

  /**
   * One checks sweep over every active domain; undefined when one is already running.
   * Scheduled runs start after a random delay; a run asked for by hand starts at once.
   */
  async runChecks(run: RunOptions = {}): Promise<SweepReport | undefined> {
    if (this.checkSweep.isRunning) return this.report('checks', Promise.resolve(undefined));
    const turn = await this.turn('checks', run);
    if (!turn) return undefined;
    // Commits are grouped and do not hold a domain's place in the sweep; the sweep ends
    // when every result is stored. Only the commits still pending are held (and a count of
    // those that failed): holding every domain's until the end kept hundreds of thousands
    // of promises alive through a large sweep, which the garbage collector copied and
    // traced again and again.
    const commits = new PendingCommits();
    const sweep = this.checkSweep.run(
      () => this.domainsOf(turn),
      async (entity) => {
        turn.began(entity.id);
        let stored: Promise<void> = Promise.resolve();
        try {
          const observed = await this.checks.observe(entity);
          stored = observed.stored;
          commits.add(stored);
          await this.checks.backlogDrained();
          await this.followUps.domainChecked(entity, observed.results, observed.liveMx);
        } finally {
          // Done once its results are in the database: a leader that stops now leaves
          // nothing behind the mark that was not stored.
          const ended = () => turn.ended(entity.id);
          commits.add(stored.then(ended, ended));
        }
      },
      { jitter: run.jitter ?? false },
    );
    return this.report(
      'checks',
      sweep.then(async (report) => {
        await this.checks.writeWaiting();
        await commits.settled();
        if (report && turn.current) await turn.finished();
        if (report) await this.followUps.sweepDone();
        if (!report || commits.failed === 0) return report;
        return {
          ...report,
          failed: report.failed + commits.failed,
          failures: [
            ...report.failures,
            { item: `${commits.failed} domain(s) not stored`, error: String(commits.firstError) },
          ],
        };
      }),
    );
  }

  /** One renewal sweep: renews every active domain whose certificate is due. */
  async runRenewals(run: RunOptions = {}): Promise<SweepReport | undefined> {
    if (this.renewalSweep.isRunning) return this.report('renewals', Promise.resolve(undefined));
    const turn = await this.turn('renewals', run);
    if (!turn) return undefined;
    return this.report(
      'renewals',
      this.renewalSweep
        .run(
          () => this.domainsOf(turn),
          async (entity) => {
            turn.began(entity.id);
            try {
              // Fencing: a former leader orders nothing. The renewal itself re-reads the
              // domain and its certificate under the cross-node lock, so a certificate
              // another node has just renewed is not due again.
              await turn.assertCurrent();
              await this.renewals.renewIfDue(entity);
            } finally {
              await turn.ended(entity.id);
            }
          },
          { jitter: run.jitter ?? false },
        )
        .then(async (report) => {
          if (report && turn.current) await turn.finished();
          return report;
        }),
    );
  }

  private schedule(name: string, cronTime: string, run: () => Promise<unknown>): void {
    const onTick = () => {
      run().catch((error: unknown) => this.logger.error(`The ${name} run failed: ${String(error)}`));
    };
    const job = CronJob.from({ cronTime, onTick, start: true });
    this.registry!.addCronJob(name, job as unknown as Parameters<SchedulerRegistry['addCronJob']>[1]);
  }

  /** The last finished run of each sweep, for health and metrics. */
  readonly lastRuns = new Map<'checks' | 'renewals', LastRun>();

  /** Why scheduled work would not run, or undefined when both jobs are scheduled. */
  schedulerProblem(): string | undefined {
    for (const name of [CHECKS_JOB, RENEWALS_JOB]) {
      if (!this.registry?.doesExist('cron', name)) return `the ${name} job is not scheduled`;
      const job = this.registry.getCronJob(name) as unknown as {
        isActive?: boolean;
        nextDate(): { toMillis(): number };
      };
      if (job.isActive === false) return `the ${name} job is stopped`;
      if (job.nextDate().toMillis() <= Date.now() - 60_000) return `the ${name} job has no next run`;
    }
    return undefined;
  }

  private async report(what: string, run: Promise<SweepReport | undefined>): Promise<SweepReport | undefined> {
    const started = Date.now();
    const report = await run;
    if (report && (what === 'checks' || what === 'renewals')) {
      this.lastRuns.set(what, {
        finishedAt: new Date(),
        seconds: (Date.now() - started) / 1000,
        processed: report.processed,
        failed: report.failed,
      });
    }
    if (!report) {
      this.logger.warn(`Skipped a ${what} run: the previous one is still running.`);
    } else if (report.failed > 0) {
      const sample = report.failures.slice(0, 5).map((failure) => `${failure.item}: ${failure.error}`);
      this.logger.warn(`${what}: ${report.failed} of ${report.processed} domain(s) failed (${sample.join('; ')})`);
    }
    return report;
  }
}

/** The commits of a sweep still pending, and how many failed: a settled one is let go at once. */
export class PendingCommits {
  private readonly pending = new Set<Promise<void>>();
  failed = 0;
  firstError: unknown;

  /** Commits not settled yet. */
  get size(): number {
    return this.pending.size;
  }

  add(commit: Promise<void>): void {
    const tracked: Promise<void> = commit.then(
      () => {
        this.pending.delete(tracked);
      },
      (error: unknown) => {
        this.pending.delete(tracked);
        if (this.failed++ === 0) this.firstError = error;
      },
    );
    this.pending.add(tracked);
  }

  /** Resolves once every commit added so far has settled. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
