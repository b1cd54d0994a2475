import type { Badge } from '../domain/badges';
import type { CheckResult } from '../domain/check-verdicts';
import type { CheckRunOutcome } from '../domain/check-run';

/** A status change of one check, for the card's history. */
export interface CheckEvent {
  readonly check: string;
  readonly previousStatus: string | null;
  readonly status: string;
  readonly summary: string;
  readonly at: Date;
}

/** One domain's results of a run, waiting to be stored. */
export interface CheckRun {
  readonly domainId: number;
  /** The served policy id the results were judged against. */
  readonly checkedId: string | null;
  readonly results: readonly CheckResult[];
}

/** What storing a run changed for a domain (see `afterCheckRun`), for the notices. */
export interface StoredRun {
  readonly domain: { readonly id: number; readonly name: string };
  readonly before: Badge;
  readonly outcome: CheckRunOutcome;
  readonly results: readonly CheckResult[];
}

/** Where check results live: the latest per check, and a history of status changes. */
export abstract class CheckResults {
  abstract latest(domainId: number): Promise<CheckResult[]>;
  abstract latestFor(domainIds: readonly number[]): Promise<Map<number, CheckResult[]>>;
  abstract history(domainId: number, limit: number): Promise<CheckEvent[]>;
  /**
   * Stores the runs of many domains in one transaction: the latest results, an event per
   * changed status, and what `afterCheckRun` decides for each domain (badge, run time, the
   * id seen in DNS with its audit entry, `changing` back to `active`).
   */
  abstract store(runs: readonly CheckRun[]): Promise<StoredRun[]>;
}
