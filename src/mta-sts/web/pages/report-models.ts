import { PromotionEvidence, reportsBlockPromotion } from '../../domain/report-summary';
import { reportWords } from '../../domain/wording';
import type { DomainReports, ReportsOverview } from '../../services/reports-view';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** `Thu 26` for `2026-11-26`. */
function dayLabel(day: string): string {
  return `${WEEKDAYS[new Date(`${day}T00:00:00Z`).getUTCDay()]} ${Number(day.slice(8, 10))}`;
}

function percent(rate: number | null): string {
  if (rate === null) return '–';
  if (rate === 0) return '0 %';
  return rate < 0.001 ? '< 0.1 %' : `${(rate * 100).toFixed(1)} %`;
}

const count = (value: number) => value.toLocaleString('en-US');

/** Domains listed per kind on the overview page, the most relevant first. */
export const OVERVIEW_ROWS = 100;

/** The card's Reports section. */
export function reportsModel(reports: DomainReports) {
  const { summary, fetches } = reports;
  const chart = fetches?.chart;
  return {
    any: summary.reportDays > 0,
    windows: summary.windows.map((window) => ({
      days: window.days,
      successful: count(window.successful),
      failed: count(window.failed),
      rate: percent(window.failureRate),
      failing: window.failed > 0,
    })),
    reportDays: summary.reportDays,
    firstDay: summary.firstDay,
    lastDay: summary.lastDay,
    failures: summary.failures.map((failure) => ({
      ...failure,
      sessions: count(failure.sessions),
      mxHosts: failure.mxHosts.map((mx) => ({ mxHost: mx.mxHost || '(not given)', sessions: count(mx.sessions) })),
    })),
    examples: reports.examples,
    fetches: fetches && {
      total: chart!.total,
      chart: {
        ...chart!,
        bars: chart!.bars.map((bar) => ({
          ...bar,
          label: dayLabel(bar.day),
          middle: bar.x + chart!.barWidth / 2,
          countY: Math.max(10, bar.y - 3),
        })),
        description: chart!.bars.map((bar) => `${dayLabel(bar.day)}: ${bar.fetches}`).join(', '),
      },
      fetchers: fetches.fetchers.map((fetcher) => ({
        ...fetcher,
        name: fetcher.sender ?? fetcher.ptr ?? 'not named (no reverse DNS that leads back)',
      })),
    },
    promotion: promotionModel(reports.promotion),
  };
}

/** What Promote's confirmation lists beside the checks. */
export function promotionModel(evidence: PromotionEvidence) {
  const blocked = reportsBlockPromotion(evidence);
  return {
    reportDays: evidence.reportDays,
    failedSessions: count(evidence.failedSessions),
    successfulSessions: count(evidence.successfulSessions),
    failureTypes: evidence.failureTypes,
    fetches: evidence.fetches,
    blocked,
    blockedText: blocked ? reportWords.promotionBlocked(evidence.failedSessions, evidence.failureTypes) : null,
    noReports: evidence.reportDays === 0 ? reportWords.noReports : null,
    noFetches: evidence.fetches && evidence.fetches.fetches === 0 ? reportWords.noFetches : null,
  };
}

/** The overview page across domains. */
export function overviewModel(overview: ReportsOverview) {
  const row = (domain: ReportsOverview['failing'][number]) => ({
    ...domain,
    successful: count(domain.successful),
    failed: count(domain.failed),
    rate: percent(domain.successful + domain.failed === 0 ? null : domain.failed / (domain.successful + domain.failed)),
  });
  // A page lists the first of each kind; the API and the CSV of each domain have the rest.
  const first = (rows: readonly ReportsOverview['failing'][number][]) => ({
    rows: rows.slice(0, OVERVIEW_ROWS).map(row),
    more: Math.max(0, rows.length - OVERVIEW_ROWS),
    total: rows.length,
  });
  return {
    periodDays: overview.periodDays,
    serving: overview.serving,
    failing: first(overview.failing),
    failureTypes: overview.failureTypes.map((type) => ({
      ...type,
      sessions: count(type.sessions),
      remedy: reportWords.remedy(type.result),
    })),
    unfetched: overview.unfetched ? first(overview.unfetched) : null,
    fetchesLogged: overview.unfetched !== null,
    promotable: first(overview.promotable),
  };
}
