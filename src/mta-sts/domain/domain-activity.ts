/**
 * A domain's recent activity in one small record: per day of the last month, the sessions
 * its TLS reports counted (successful, failed by result type) and the policy fetches. The
 * overview across domains reads one such record per domain instead of summing millions of
 * daily rows; the card and the CSV read the daily rows themselves.
 */

import { PROMOTION_FETCH_DAYS, PROMOTION_REPORT_DAYS, daysBefore } from './report-summary';

/** Days kept in the record, counted back from its newest day. */
export const ACTIVITY_DAYS = 31;

export interface ReportDay {
  ok: number;
  failed: number;
  /** Failed sessions by result type. */
  types: Record<string, number>;
}

export type ReportActivity = Record<string, ReportDay>;
export type FetchActivityDays = Record<string, number>;

/** The record as stored (JSON text); an unreadable one counts as empty. */
export function parseActivity<T extends object>(text: string | null | undefined): T {
  if (!text) return {} as T;
  try {
    const value: unknown = JSON.parse(text);
    return (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as T;
  } catch {
    return {} as T;
  }
}

/** Drops the days more than ACTIVITY_DAYS before the newest. */
function recent<T>(days: Record<string, T>): Record<string, T> {
  const newest = Object.keys(days).sort().at(-1);
  if (!newest) return days;
  const from = daysBefore(newest, ACTIVITY_DAYS - 1);
  return Object.fromEntries(Object.entries(days).filter(([day]) => day >= from));
}

/** Adds a report's sessions (per day and result) to the record. */
export function addReportSessions(
  activity: ReportActivity,
  rows: readonly { readonly day: string; readonly result: string; readonly sessions: number }[],
): ReportActivity {
  const next: ReportActivity = { ...activity };
  for (const row of rows) {
    const before = next[row.day];
    const day = { ok: before?.ok ?? 0, failed: before?.failed ?? 0, types: { ...before?.types } };
    if (row.result === 'success') day.ok += row.sessions;
    else {
      day.failed += row.sessions;
      day.types[row.result] = (day.types[row.result] ?? 0) + row.sessions;
    }
    next[row.day] = day;
  }
  return recent(next);
}

/** Adds fetches per day to the record. */
export function addFetches(
  activity: FetchActivityDays,
  rows: readonly { readonly day: string; readonly fetches: number }[],
): FetchActivityDays {
  const next = { ...activity };
  for (const row of rows) next[row.day] = (next[row.day] ?? 0) + row.fetches;
  return recent(next);
}

/** Sums from `fromDay` on, as the overview shows them. */
export function reportTotals(
  activity: ReportActivity,
  fromDay: string,
): { successful: number; failed: number; types: Record<string, number>; days: number } {
  let successful = 0;
  let failed = 0;
  let days = 0;
  const types: Record<string, number> = {};
  for (const [day, sums] of Object.entries(activity)) {
    if (day < fromDay) continue;
    days++;
    successful += sums.ok ?? 0;
    failed += sums.failed ?? 0;
    for (const [type, sessions] of Object.entries(sums.types ?? {})) types[type] = (types[type] ?? 0) + sessions;
  }
  return { successful, failed, types, days };
}

export function fetchTotal(activity: FetchActivityDays, fromDay: string): number {
  let total = 0;
  for (const [day, fetches] of Object.entries(activity)) if (day >= fromDay) total += fetches;
  return total;
}

/** What the overview shows of a domain, as of one day. */
export interface ActivitySummary {
  /** The day the periods end on (`YYYY-MM-DD`, UTC). */
  readonly day: string;
  readonly successful: number;
  readonly failed: number;
  readonly reportDays: number;
  readonly failureTypes: Record<string, number>;
  readonly fetches: number;
}

/** The overview's periods ending on `today` (Promote's: reports of 14 days, fetches of 7), from the record. */
export function summarizeActivity(reports: ReportActivity, fetches: FetchActivityDays, today: string): ActivitySummary {
  const totals = reportTotals(reports, daysBefore(today, PROMOTION_REPORT_DAYS - 1));
  return {
    day: today,
    successful: totals.successful,
    failed: totals.failed,
    reportDays: totals.days,
    failureTypes: totals.types,
    fetches: fetchTotal(fetches, daysBefore(today, PROMOTION_FETCH_DAYS - 1)),
  };
}
