import { Inject, Injectable } from '@nestjs/common';
import { SERVING_STATES } from '../domain/domain-state';
import { parseDomainName } from '../domain/hostname';
import {
  FetchChart,
  PROMOTION_FETCH_DAYS,
  PROMOTION_REPORT_DAYS,
  PromotionEvidence,
  ReportSummary,
  fetchChart,
  expectsFetches,
  promotionEvidence,
  readyToPromote,
  summarizeReports,
  utcDay,
  windowStart,
} from '../domain/report-summary';
import type { FailureExample } from '../domain/tls-report';
import { reportWords } from '../domain/wording';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { Fetcher, PolicyFetches } from '../ports/policy-fetches.port';
import { TlsReports } from '../ports/tls-reports.port';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';

/** Failure examples shown on a card, and fetchers named. */
const CARD_EXAMPLES = 20;
const CARD_FETCHERS = 10;

/** A domain's reports and fetches, as the card, the API and the CSV show them. */
export interface DomainReports {
  readonly domain: string;
  readonly summary: ReportSummary & {
    readonly failures: readonly (ReportSummary['failures'][number] & { readonly remedy: string })[];
  };
  readonly examples: readonly Omit<FailureExample, 'domain'>[];
  /** Null when no fetch log is kept. */
  readonly fetches: {
    readonly chart: FetchChart;
    readonly fetchers: readonly Fetcher[];
  } | null;
  readonly promotion: PromotionEvidence;
}

/** One domain in the overview across domains. */
export interface OverviewDomain {
  readonly domain: string;
  readonly mode: string;
  readonly state: string;
  readonly successful: number;
  readonly failed: number;
  readonly failureTypes: readonly string[];
  readonly reportDays: number;
  readonly fetches: number | null;
}

export interface ReportsOverview {
  readonly periodDays: number;
  /** Domains with failures in the period, most failed sessions first. */
  readonly failing: readonly OverviewDomain[];
  /** Failure types across domains: sessions and how many domains. */
  readonly failureTypes: readonly { readonly result: string; readonly sessions: number; readonly domains: number }[];
  /** Serving domains no sender fetched in the last 7 days; null when no fetch log is kept. */
  readonly unfetched: readonly OverviewDomain[] | null;
  /** Testing domains with clean reports on enough days (and fetched, where fetches are logged). */
  readonly promotable: readonly OverviewDomain[];
  readonly serving: number;
}

/** Reads what reports and fetches say, for one domain or across every domain. */
@Injectable()
export class ReportsView {
  constructor(
    @Inject(TlsReports) private readonly reports: TlsReports,
    @Inject(PolicyFetches) private readonly fetches: PolicyFetches,
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
  ) {}

  async forDomain(input: unknown): Promise<DomainReports> {
    const domain = (await this.store.get(parseDomainName(input).ascii)).name;
    const today = this.clock.now();
    const from90 = windowStart(today, 90);
    const rows = await this.reports.sessions(domain, from90);
    const summary = summarizeReports(rows, today);
    const logged = this.options.reports.fetchLog !== undefined;
    const fetchDays = logged ? await this.fetches.days(domain, windowStart(today, PROMOTION_FETCH_DAYS)) : [];
    const chart = fetchChart(fetchDays, today);
    const week = logged ? await this.fetchWeek(domain) : null;
    return {
      domain,
      summary: {
        ...summary,
        failures: summary.failures.map((failure) => ({ ...failure, remedy: reportWords.remedy(failure.result) })),
      },
      examples: (await this.reports.examples(domain, from90, CARD_EXAMPLES)).map(
        ({ domain: _d, ...example }) => example,
      ),
      fetches: logged
        ? { chart, fetchers: await this.fetches.fetchers(domain, windowStart(today, 30), CARD_FETCHERS) }
        : null,
      promotion: promotionEvidence(rows, week, today),
    };
  }

  /** What Promote weighs for a domain. */
  async promotionEvidence(domain: string): Promise<PromotionEvidence> {
    const today = this.clock.now();
    const rows = await this.reports.sessions(domain, windowStart(today, PROMOTION_REPORT_DAYS));
    const week = this.options.reports.fetchLog !== undefined ? await this.fetchWeek(domain) : null;
    return promotionEvidence(rows, week, today);
  }

  /** Fetches of the last 7 days and the distinct addresses they came from. */
  private async fetchWeek(domain: string): Promise<{ fetches: number; fetchers: number }> {
    const fetchers = await this.fetches.fetchers(domain, windowStart(this.clock.now(), PROMOTION_FETCH_DAYS), 100_000);
    return { fetches: fetchers.reduce((sum, fetcher) => sum + fetcher.fetches, 0), fetchers: fetchers.length };
  }

  /** The daily rows of the last `days` days as CSV (RFC 4180), one line per reporter, policy type, result and MX host. */
  async csv(input: unknown, days = 90): Promise<string> {
    const domain = (await this.store.get(parseDomainName(input).ascii)).name;
    const rows = await this.reports.daily(domain, windowStart(this.clock.now(), days));
    const lines = [['day', 'reporter', 'policy_type', 'result', 'mx_host', 'sessions']];
    for (const row of rows) {
      lines.push([row.day, row.organization, row.policyType, row.result, row.mxHost, String(row.sessions)]);
    }
    return lines.map((line) => line.map(csvField).join(',')).join('\r\n') + '\r\n';
  }

  /** Brings every domain's overview sums to today: run after midnight, when the periods move on. */
  refreshOverview(): Promise<number> {
    return this.reports.refreshActivity(utcDay(this.clock.now()));
  }

  /** Every serving domain's last 14 days of reports and last 7 days of fetches. */
  async overview(): Promise<ReportsOverview> {
    const today = utcDay(this.clock.now());
    const outlines = await this.store.outlines(SERVING_STATES);
    const summaries = await this.reports.overview(today);
    const logged = this.options.reports.fetchLog !== undefined;
    const types = new Map<string, { sessions: number; domains: number }>();
    const domains: OverviewDomain[] = outlines.map((outline) => {
      const summary = summaries.get(outline.name);
      const failureTypes = Object.entries(summary?.failureTypes ?? {}).filter(([, sessions]) => sessions > 0);
      for (const [result, sessions] of failureTypes) {
        const type = types.get(result) ?? { sessions: 0, domains: 0 };
        type.sessions += sessions;
        type.domains += 1;
        types.set(result, type);
      }
      return {
        domain: outline.name,
        mode: outline.mode,
        state: outline.state,
        successful: summary?.successful ?? 0,
        failed: summary?.failed ?? 0,
        failureTypes: failureTypes.map(([result]) => result).sort(),
        reportDays: summary?.reportDays ?? 0,
        fetches: logged ? (summary?.fetches ?? 0) : null,
      };
    });
    const periodDays = PROMOTION_REPORT_DAYS;
    return {
      periodDays,
      failing: domains
        .filter((row) => row.failed > 0)
        .sort((a, b) => b.failed - a.failed || a.domain.localeCompare(b.domain)),
      failureTypes: [...types.entries()]
        .map(([result, type]) => ({ result, ...type }))
        .sort((a, b) => b.sessions - a.sessions || a.result.localeCompare(b.result)),
      unfetched: logged ? domains.filter((row) => row.fetches === 0 && expectsFetches(row.mode)) : null,
      promotable: domains.filter(readyToPromote),
      serving: domains.length,
    };
  }
}

/** A CSV field, quoted when it holds a comma, a quote or a line break; a leading formula sign is neutralised. */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
