import type { DailyFetches } from '../domain/policy-fetches';

/** How far a log file has been read. */
export interface LogCursor {
  readonly path: string;
  /** The file's inode, to see a rotation. */
  readonly inode: string;
  /** The offset after the last line counted. */
  readonly offset: number;
  /** A digest of the file's first bytes, to see it truncated and written again (copytruncate). */
  readonly head: string;
}

/** A fetcher's reverse DNS, checked forward. */
export interface FetcherName {
  readonly address: string;
  readonly ptr: string | null;
  readonly sender: string | null;
  readonly checkedAt: Date;
}

/** One day of a domain's fetch activity. */
export interface FetchDay {
  readonly day: string;
  readonly fetches: number;
  readonly failures: number;
  /** Distinct client addresses that day. */
  readonly fetchers: number;
}

/** A client that fetched a domain's policy in a period. */
export interface Fetcher {
  readonly address: string;
  readonly fetches: number;
  readonly lastDay: string;
  readonly ptr: string | null;
  readonly sender: string | null;
}

/** Where policy fetch activity is kept. */
export abstract class PolicyFetches {
  /** How far `path` was read; undefined before the first read. */
  abstract cursor(path: string): Promise<LogCursor | undefined>;
  /** Adds the counts and moves the cursor in one transaction: a restart never counts a line twice. */
  abstract add(rows: readonly DailyFetches[], cursor: LogCursor, today: string): Promise<void>;
  /** The stored names of these addresses. */
  abstract names(addresses: readonly string[]): Promise<Map<string, FetcherName>>;
  abstract saveName(name: FetcherName): Promise<void>;
  /** A domain's days from `fromDay` on (days without fetches left out), oldest first. */
  abstract days(domain: string, fromDay: string): Promise<FetchDay[]>;
  /** A domain's fetchers from `fromDay` on, most fetches first, at most `limit`. */
  abstract fetchers(domain: string, fromDay: string, limit: number): Promise<Fetcher[]>;
  /** Deletes daily counts before `beforeDay` and names not looked up since `namesBefore`. */
  abstract prune(beforeDay: string, namesBefore: Date): Promise<number>;
}
