import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { FetchActivity } from '../services/fetch-activity';
import { MailboxIntake } from '../services/mailbox-intake';
import { ReportsView } from '../services/reports-view';
import { CronJob } from 'cron';

export const FETCH_LOG_JOB = 'mta-sts-fetch-log';
export const MAILBOX_JOB = 'mta-sts-report-mailbox';
export const OVERVIEW_JOB = 'mta-sts-reports-overview';
/** nginx's fetch log is read this often. */
export const FETCH_LOG_INTERVAL_MS = 60_000;

/**
 * Reads what senders tell us between the sweeps: nginx's fetch log every minute, the
 * report mailbox at its interval, the overview's sums after midnight. Runs in
 * the host's `SchedulerRegistry`, like the checks and renewals; a run still going when
 * the next is due is joined, not doubled.
 */
@Injectable()
export class ReportJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MtaSts');
  private readonly names: string[] = [];

  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Optional() @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry | undefined,
    private readonly fetchActivity: FetchActivity,
    private readonly mailbox: MailboxIntake,
    private readonly view: ReportsView,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.registry) return; // ScheduledJobs says what is missing.
    if (this.options.reports.fetchLog) {
      this.every(FETCH_LOG_JOB, FETCH_LOG_INTERVAL_MS, () => this.fetchActivity.ingest());
    }
    // The overview's periods move on at midnight (UTC); and at start, in case the panel was down then.
    const refresh = () => this.view.refreshOverview();
    const job = CronJob.from({
      cronTime: '0 1 0 * * *',
      timeZone: 'UTC',
      start: true,
      onTick: () => this.run(OVERVIEW_JOB, refresh),
    });
    this.registry.addCronJob(OVERVIEW_JOB, job as unknown as Parameters<SchedulerRegistry['addCronJob']>[1]);
    this.run(OVERVIEW_JOB, refresh);
    if (this.options.reports.imap) {
      this.every(MAILBOX_JOB, this.options.reports.imap.intervalMs, () => this.mailbox.poll());
    }
  }

  onModuleDestroy(): void {
    if (this.registry?.doesExist('cron', OVERVIEW_JOB)) this.registry.deleteCronJob(OVERVIEW_JOB);
    for (const name of this.names) if (this.registry?.doesExist('interval', name)) this.registry.deleteInterval(name);
  }

  private run(name: string, work: () => Promise<unknown>): void {
    work().catch((error: unknown) => this.logger.error(`The ${name} run failed: ${String(error)}`));
  }

  private every(name: string, ms: number, work: () => Promise<unknown>): void {
    const timer = setInterval(() => this.run(name, work), ms);
    timer.unref();
    this.registry!.addInterval(name, timer);
    this.names.push(name);
  }
}
