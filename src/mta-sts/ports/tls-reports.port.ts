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

  /** Deletes reports received and examples of days before `before`, and daily counts before `totalsBefore`. */
  abstract prune(before: Date, totalsBefore: Date): Promise<{ reports: number; examples: number; totals: number }>;
}
