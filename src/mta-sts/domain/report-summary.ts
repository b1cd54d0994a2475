/**
 * What a domain's TLS reports and policy fetches add up to: the 7/30/90-day totals, the
 * failures by result type and MX host, the 7-day fetch chart, and the evidence Promote
 * weighs (Google advises two weeks of clean reports in testing mode before enforcing).
 */

/** Sessions of one day, result and MX host, summed over reporters. */
export interface SessionCount {
  readonly day: string;
  readonly result: string;
  readonly mxHost: string;
  readonly sessions: number;
}

export interface ReportWindow {
  readonly days: number;
  readonly successful: number;
  readonly failed: number;
  /** Failed over all sessions, 0 to 1; null without sessions. */
  readonly failureRate: number | null;
}

export interface FailureGroup {
  readonly result: string;
  readonly sessions: number;
  readonly lastDay: string;
  /** MX hosts with failures of this type, most first. */
  readonly mxHosts: readonly { readonly mxHost: string; readonly sessions: number }[];
}

export interface ReportSummary {
  readonly windows: readonly ReportWindow[];
  /** Days with at least one report in the last 90. */
  readonly reportDays: number;
  readonly firstDay: string | null;
  readonly lastDay: string | null;
  /** Failures of the last 90 days by result type, most first. */
  readonly failures: readonly FailureGroup[];
}

/** The windows the card shows. */
export const REPORT_WINDOWS = [7, 30, 90] as const;
/** What Promote looks at: failures in the last 14 days, fetches in the last 7. */
export const PROMOTION_REPORT_DAYS = 14;
export const PROMOTION_FETCH_DAYS = 7;

/** The UTC day of a moment, `YYYY-MM-DD`: how reports, fetches and windows name days. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The day `count` days before `day` (both `YYYY-MM-DD`). */
export function daysBefore(day: string, count: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) - count * 86_400_000));
}

/** `YYYY-MM-DD` of `today` minus `days - 1` days: the first day of a window of `days` days. */
export function windowStart(today: Date, days: number): string {
  return daysBefore(utcDay(today), days - 1);
}

export function summarizeReports(rows: readonly SessionCount[], today: Date): ReportSummary {
  const windows = REPORT_WINDOWS.map((days) => {
    const from = windowStart(today, days);
    let successful = 0;
    let failed = 0;
    for (const row of rows) {
      if (row.day < from) continue;
      if (row.result === 'success') successful += row.sessions;
      else failed += row.sessions;
    }
    const all = successful + failed;
    return { days, successful, failed, failureRate: all === 0 ? null : failed / all };
  });
  const from90 = windowStart(today, 90);
  const recent = rows.filter((row) => row.day >= from90);
  const days = [...new Set(recent.map((row) => row.day))].sort();
  const groups = new Map<string, { sessions: number; lastDay: string; mx: Map<string, number> }>();
  for (const row of recent) {
    if (row.result === 'success') continue;
    const group = groups.get(row.result) ?? { sessions: 0, lastDay: row.day, mx: new Map<string, number>() };
    group.sessions += row.sessions;
    if (row.day > group.lastDay) group.lastDay = row.day;
    group.mx.set(row.mxHost, (group.mx.get(row.mxHost) ?? 0) + row.sessions);
    groups.set(row.result, group);
  }
  const failures = [...groups.entries()]
    .map(([result, group]) => ({
      result,
      sessions: group.sessions,
      lastDay: group.lastDay,
      mxHosts: [...group.mx.entries()]
        .map(([mxHost, sessions]) => ({ mxHost, sessions }))
        .sort((a, b) => b.sessions - a.sessions || a.mxHost.localeCompare(b.mxHost)),
    }))
    .sort((a, b) => b.sessions - a.sessions || a.result.localeCompare(b.result));
  return { windows, reportDays: days.length, firstDay: days[0] ?? null, lastDay: days.at(-1) ?? null, failures };
}

/** What Promote lists beside the checks. */
export interface PromotionEvidence {
  /** Days with reports in the last 14. */
  readonly reportDays: number;
  readonly failedSessions: number;
  readonly failureTypes: readonly string[];
  readonly successfulSessions: number;
  /** Policy fetches in the last 7 days, and by how many addresses; null when fetches are not logged. */
  readonly fetches: { readonly fetches: number; readonly fetchers: number } | null;
}

export function promotionEvidence(
  rows: readonly SessionCount[],
  fetches: PromotionEvidence['fetches'],
  today: Date,
): PromotionEvidence {
  const from = windowStart(today, PROMOTION_REPORT_DAYS);
  const recent = rows.filter((row) => row.day >= from);
  const failed = recent.filter((row) => row.result !== 'success');
  return {
    reportDays: new Set(recent.map((row) => row.day)).size,
    failedSessions: failed.reduce((sum, row) => sum + row.sessions, 0),
    failureTypes: [...new Set(failed.filter((row) => row.sessions > 0).map((row) => row.result))].sort(),
    successfulSessions: recent.filter((row) => row.result === 'success').reduce((sum, row) => sum + row.sessions, 0),
    fetches,
  };
}

/** Promote refuses by default while the reports of the last 14 days hold failures. */
export function reportsBlockPromotion(evidence: PromotionEvidence): boolean {
  return evidence.failedSessions > 0;
}

/** One bar of the fetch chart. */
export interface ChartBar {
  readonly day: string;
  readonly fetches: number;
  readonly fetchers: number;
  readonly x: number;
  readonly y: number;
  readonly height: number;
}

export interface FetchChart {
  readonly width: number;
  readonly height: number;
  readonly barWidth: number;
  readonly max: number;
  readonly bars: readonly ChartBar[];
  readonly total: number;
}

const CHART = { width: 350, height: 100, bar: 40, gap: 10, label: 16 } as const;

/** The last 7 days of fetches as bar geometry for the card's SVG (days without fetches at 0). */
export function fetchChart(
  days: readonly { readonly day: string; readonly fetches: number; readonly fetchers: number }[],
  today: Date,
): FetchChart {
  const byDay = new Map(days.map((day) => [day.day, day]));
  const span = Array.from({ length: 7 }, (_, index) => windowStart(today, 7 - index));
  const max = Math.max(1, ...span.map((day) => byDay.get(day)?.fetches ?? 0));
  const plot = CHART.height - CHART.label;
  const bars = span.map((day, index) => {
    const fetches = byDay.get(day)?.fetches ?? 0;
    const height = Math.round((fetches / max) * (plot - 4));
    return {
      day,
      fetches,
      fetchers: byDay.get(day)?.fetchers ?? 0,
      x: index * (CHART.bar + CHART.gap),
      y: plot - height,
      height,
    };
  });
  return {
    width: CHART.width,
    height: CHART.height,
    barWidth: CHART.bar,
    max,
    bars,
    total: bars.reduce((sum, bar) => sum + bar.fetches, 0),
  };
}

/** A testing domain could be promoted with reports on this many of the last 14 days, none failing. */
export const CLEAN_REPORT_DAYS = 7;

/**
 * Whether the overview lists a domain as ready to promote: in testing mode and active,
 * no failures and reports on enough days, and fetched (where fetches are logged).
 */
export function readyToPromote(domain: {
  readonly mode: string;
  readonly state: string;
  readonly failed: number;
  readonly reportDays: number;
  readonly fetches: number | null;
}): boolean {
  return (
    domain.mode === 'testing' &&
    domain.state === 'active' &&
    domain.failed === 0 &&
    domain.reportDays >= CLEAN_REPORT_DAYS &&
    (domain.fetches === null || domain.fetches > 0)
  );
}

/** Whether a domain's policy is one senders should be fetching: any mode but none. */
export function expectsFetches(mode: string): boolean {
  return mode !== 'none';
}
