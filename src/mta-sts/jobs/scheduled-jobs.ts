import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS, MTA_STS_RANDOM } from '../mta-sts.tokens';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { ChecksService } from '../services/checks.service';
import { DomainsService } from '../services/domains.service';
import { RenewalService } from '../services/renewal.service';
import { Sweep, SweepReport } from '../services/sweep';
import { CheckFollowUps } from '../services/check-follow-ups';
import { SERVING_STATES } from '../domain/domain-state';

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
    @Inject(MTA_STS_RANDOM) random: () => number,
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
      random,
    );
    this.renewalSweep = new Sweep(
      {
        concurrency: options.renewals.concurrency,
        itemTimeoutMs: RENEWAL_TIMEOUT_MS,
        jitterMs: options.renewals.jitterMs,
      },
      label,
      random,
    );
  }

  onApplicationBootstrap(): void {
    if (!this.registry) {
      throw new Error(
        'MtaStsModule schedules checks and certificate renewals through @nestjs/schedule: import ScheduleModule.forRoot() in the host application.',
      );
    }
    this.schedule(CHECKS_JOB, this.options.checks.cron, () => this.runChecks({ jitter: true }));
    this.schedule(RENEWALS_JOB, this.options.renewals.cron, () => this.runRenewals({ jitter: true }));
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
  runChecks({ jitter = false }: { jitter?: boolean } = {}): Promise<SweepReport | undefined> {
    // Commits are grouped and do not hold a domain's place in the sweep; the sweep ends
    // when every result is stored.
    const commits: Promise<void>[] = [];
    const sweep = this.checkSweep.run(
      () => this.domains.stream(SERVING_STATES),
      async (entity) => {
        const { results, stored, liveMx } = await this.checks.observe(entity);
        commits.push(stored);
        await this.checks.backlogDrained();
        await this.followUps.domainChecked(entity, results, liveMx);
      },
      { jitter },
    );
    return this.report(
      'checks',
      sweep.then(async (report) => {
        await this.checks.writeWaiting();
        if (report) await this.followUps.sweepDone();
        const failed = (await Promise.allSettled(commits)).filter((commit) => commit.status === 'rejected');
        if (!report || failed.length === 0) return report;
        const error = String((failed[0] as PromiseRejectedResult).reason);
        return {
          ...report,
          failed: report.failed + failed.length,
          failures: [...report.failures, { item: `${failed.length} domain(s) not stored`, error }],
        };
      }),
    );
  }

  /** One renewal sweep: renews every active domain whose certificate is due. */
  runRenewals({ jitter = false }: { jitter?: boolean } = {}): Promise<SweepReport | undefined> {
    return this.report(
      'renewals',
      this.renewalSweep.run(
        () => this.domains.stream(SERVING_STATES),
        async (entity) => {
          await this.renewals.renewIfDue(entity);
        },
        { jitter },
      ),
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
