import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { FetchActivity } from '../services/fetch-activity';
import { MailboxIntake } from '../services/mailbox-intake';

export const FETCH_LOG_JOB = 'mta-sts-fetch-log';
export const MAILBOX_JOB = 'mta-sts-report-mailbox';
/** nginx's fetch log is read this often. */
export const FETCH_LOG_INTERVAL_MS = 60_000;

/**
 * Reads what senders tell us between the sweeps: nginx's fetch log every minute, the
 * report mailbox at its interval. Runs in
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
  ) {}

  onApplicationBootstrap(): void {
    if (!this.registry) return; // ScheduledJobs says what is missing.
    if (this.options.reports.fetchLog) {
      this.every(FETCH_LOG_JOB, FETCH_LOG_INTERVAL_MS, () => this.fetchActivity.ingest());
    }
    if (this.options.reports.imap) {
      this.every(MAILBOX_JOB, this.options.reports.imap.intervalMs, () => this.mailbox.poll());
    }
  }

  onModuleDestroy(): void {
    for (const name of this.names) if (this.registry?.doesExist('interval', name)) this.registry.deleteInterval(name);
  }

  private every(name: string, ms: number, run: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      run().catch((error: unknown) => this.logger.error(`The ${name} run failed: ${String(error)}`));
    }, ms);
    timer.unref();
    this.registry!.addInterval(name, timer);
    this.names.push(name);
  }
}
