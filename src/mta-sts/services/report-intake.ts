import { Inject, Injectable } from '@nestjs/common';
import { decodeReportBody, reportMediaType } from '../adapters/tls-reports/report-decoder';
import { DailySessions, readTlsReport, reportRows } from '../domain/tls-report';
import { newFailureTypeNotice, reportWords } from '../domain/wording';
import { utcDay, windowStart } from '../domain/report-summary';
import { NotificationsService } from './notifications.service';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { TlsReports } from '../ports/tls-reports.port';
import { PolicyFetches } from '../ports/policy-fetches.port';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { ActionLog } from './action-log';

/** Failure examples kept per domain, day and result type. */
export const EXAMPLES_PER_DAY = 20;
/** The most of a rejected body kept beside its reason. */
const REJECTED_BODY_BYTES = 1024 * 1024;

export type IntakeOutcome =
  | { readonly outcome: 'stored'; readonly domains: readonly string[]; readonly ignoredPolicies: number }
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'ignored'; readonly policyDomains: readonly string[] }
  | { readonly outcome: 'rejected'; readonly reason: string };

/**
 * Takes in a TLS report however it came (HTTPS or mail): decodes it within its caps,
 * reads it, keeps what it says about the domains this panel serves, and keeps a report it
 * cannot read with the reason, so nothing is lost. One reporter's report id counts once.
 */
@Injectable()
export class ReportIntake {
  /** Reports taken in since start, by outcome (`ignored`: they named no domain served here). */
  readonly counts: Record<IntakeOutcome['outcome'], number> = { stored: 0, duplicate: 0, rejected: 0, ignored: 0 };

  constructor(
    @Inject(TlsReports) private readonly reports: TlsReports,
    @Inject(PolicyFetches) private readonly fetches: PolicyFetches,
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    private readonly log: ActionLog,
    private readonly notifications: NotificationsService,
  ) {}

  /** Forgets what is older than the retention times (`reports` options), fetch counts with the daily totals. */
  async prune(): Promise<{ reports: number; examples: number; totals: number; fetchDays: number }> {
    const now = this.clock.now().getTime();
    const days = (count: number) => new Date(now - count * 86_400_000);
    const totalsBefore = days(this.options.reports.totalsRetentionDays);
    const pruned = await this.reports.prune(days(this.options.reports.retentionDays), totalsBefore);
    // Fetcher names unused for a month go; one still fetching is named again.
    const fetchDays = await this.fetches.prune(utcDay(totalsBefore), days(30));
    return { ...pruned, fetchDays };
  }

  async receive(
    body: Buffer,
    contentType: string | undefined,
    via: 'https' | 'mailto',
    extra: { fileName?: string; dkim?: string | null } = {},
  ): Promise<IntakeOutcome> {
    const outcome = await this.take(body, contentType, via, extra);
    this.counts[outcome.outcome]++;
    return outcome;
  }

  private async take(
    body: Buffer,
    contentType: string | undefined,
    via: 'https' | 'mailto',
    { fileName, dkim = null }: { fileName?: string; dkim?: string | null } = {},
  ): Promise<IntakeOutcome> {
    const receivedAt = this.clock.now();
    const decoded = decodeReportBody(body, reportMediaType(contentType, fileName));
    const reading = 'json' in decoded ? readTlsReport(decoded.json) : decoded;
    if ('rejected' in reading) {
      await this.reject(body, reading.rejected, via, dkim);
      return { outcome: 'rejected', reason: reading.rejected };
    }
    const { report } = reading;
    const named = [...new Set(report.policies.map((policy) => policy.policyDomain))];
    const served = new Map((await this.store.outlinesOf(named)).map((outline) => [outline.name, outline]));
    const rows = reportRows(report, (domain) => served.has(domain));
    if (rows.domains.length === 0) {
      return { outcome: 'ignored', policyDomains: named };
    }
    // Under enforce a failure type not seen before is news: read what was seen, before storing.
    const seenBefore = new Map<string, Set<string>>();
    const since = windowStart(receivedAt, 90);
    const failing = new Set(rows.daily.filter((row) => row.result !== 'success').map((row) => row.domain));
    for (const domain of failing) {
      if (served.get(domain)?.mode === 'enforce') {
        seenBefore.set(domain, await this.reports.failureTypes(domain, since));
      }
    }
    const stored = await this.reports.store(
      {
        organization: report.organizationName,
        reportId: report.reportId,
        receivedAt,
        via,
        status: 'stored',
        reason: null,
        domains: rows.domains,
        raw: 'json' in decoded ? JSON.stringify(decoded.json) : '',
        dkim,
      },
      rows.daily,
      rows.failures,
      EXAMPLES_PER_DAY,
    );
    if (!stored) return { outcome: 'duplicate' };
    for (const domain of rows.domains) {
      this.log.record({
        domain,
        action: 'tls-report',
        actor: report.organizationName,
        outcome: 'done',
        detail: reportWords.received(report.reportId, report.organizationName, utcDay(report.start)),
      });
    }
    this.announceNewFailures(rows.daily, seenBefore, report.organizationName);
    return { outcome: 'stored', domains: rows.domains, ignoredPolicies: rows.ignoredPolicies };
  }

  /** Keeps what could not be read, with the reason and the start of the body (base64), so nothing is lost. */
  async reject(body: Buffer, reason: string, via: 'https' | 'mailto', dkim: string | null = null): Promise<void> {
    await this.reports.store(
      {
        organization: null,
        reportId: null,
        receivedAt: this.clock.now(),
        via,
        status: 'rejected',
        reason,
        domains: [],
        raw: body.subarray(0, REJECTED_BODY_BYTES).toString('base64'),
        dkim,
      },
      [],
      [],
      0,
    );
  }

  /** One notice per domain under enforce and failure type its reports had not shown in 90 days. */
  private announceNewFailures(
    daily: readonly DailySessions[],
    seenBefore: ReadonlyMap<string, ReadonlySet<string>>,
    organization: string,
  ): void {
    const fresh = new Map<string, { domain: string; result: string; day: string; sessions: number }>();
    for (const row of daily) {
      const seen = seenBefore.get(row.domain);
      if (!seen || row.result === 'success' || seen.has(row.result)) continue;
      const key = `${row.domain} ${row.result}`;
      const entry = fresh.get(key) ?? { domain: row.domain, result: row.result, day: row.day, sessions: 0 };
      entry.sessions += row.sessions;
      fresh.set(key, entry);
    }
    for (const entry of fresh.values()) {
      this.notifications.send(
        newFailureTypeNotice(entry.domain, entry.result, entry.sessions, organization, entry.day),
      );
    }
  }
}
