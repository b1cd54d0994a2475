import type { SessionCount } from '../domain/report-summary';
import type { ActivitySummary } from '../domain/domain-activity';
import type { DailySessions, FailureExample } from '../domain/tls-report';

/** A report as received, stored or rejected. */
export interface ReceivedReport {
  readonly organization: string | null;
  readonly reportId: string | null;
  readonly receivedAt: Date;
  readonly via: 'https' | 'mailto';
  readonly status: 'stored' | 'rejected';
  readonly reason: string | null;
  readonly domains: readonly string[];
  readonly raw: string;
  /** A mailed report's DKIM verdict, e.g. `pass (d=google.com)`; null for HTTPS. */
  readonly dkim: string | null;
}

/** Where TLS reports and what they add up to are kept. */
export abstract class TlsReports {
  /**
   * Stores a report with its daily sessions and failure examples (at most `examplesPerDay`
   * per domain, day and result) in one transaction. False, writing nothing, when the
   * reporter's report id is stored already.
   */
  abstract store(
    report: ReceivedReport,
    daily: readonly DailySessions[],
    failures: readonly FailureExample[],
    examplesPerDay: number,
  ): Promise<boolean>;

  /** A domain's sessions from `fromDay` on, per day, result and MX host (summed over reporters). */
  abstract sessions(domain: string, fromDay: string): Promise<SessionCount[]>;

  /** A domain's daily rows from `fromDay` on, as stored (per reporter and policy type), oldest first. */
  abstract daily(domain: string, fromDay: string): Promise<DailySessions[]>;

  /** A domain's failure examples from `fromDay` on, newest first, at most `limit`. */
  abstract examples(domain: string, fromDay: string, limit: number): Promise<FailureExample[]>;

  /** The result types a domain's reports have shown failures of, from `fromDay` on. */
  abstract failureTypes(domain: string, fromDay: string): Promise<Set<string>>;

  /** Every domain's overview sums as of `today` (reports of 14 days, fetches of 7), by domain. */
  abstract overview(today: string): Promise<Map<string, ActivitySummary>>;

  /** Sums the overview's periods of every domain as of `today` (after midnight); how many changed. */
  abstract refreshActivity(today: string): Promise<number>;

  /** Deletes reports received and examples of days before `before`, and daily counts before `totalsBefore`. */
  abstract prune(before: Date, totalsBefore: Date): Promise<{ reports: number; examples: number; totals: number }>;
}
