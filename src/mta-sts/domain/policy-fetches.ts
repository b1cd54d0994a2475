/**
 * Policy fetches as nginx logs them (`log_format mta_sts_fetch '$msec $host $remote_addr
 * $status $mta_sts_fetcher'`), added up per domain, day and client address, and the big senders named from
 * their reverse DNS. A fetch says a sender is about to use the policy; no fetches for a
 * week says it is too soon to promote.
 */

import { utcDay } from './report-summary';

/** One fetch of `/.well-known/mta-sts.txt`. */
export interface PolicyFetch {
  readonly at: Date;
  readonly domain: string;
  readonly address: string;
  readonly status: number;
}

/** Fetches per domain, day (`YYYY-MM-DD`, UTC) and client address. */
export interface DailyFetches {
  readonly domain: string;
  readonly day: string;
  readonly address: string;
  readonly fetches: number;
  /** Answers other than 200 (the policy file missing, a 421 for a wrong name…). */
  readonly failures: number;
}

const LINE = /^(\d{9,11})(?:\.\d{1,3})? mta-sts\.([a-z0-9.-]{1,250}) ([0-9a-f.:]{2,45}) (\d{3})(?: (sender|panel))?$/;

/**
 * A sender's fetch from a log line; undefined for anything else: another format, a torn
 * line, or the panel's own readiness check (marked `panel`).
 */
export function parseFetchLine(line: string): PolicyFetch | undefined {
  const match = LINE.exec(line.trim().toLowerCase());
  if (!match || match[5] === 'panel') return undefined;
  return { at: new Date(Number(match[1]) * 1000), domain: match[2], address: match[3], status: Number(match[4]) };
}

/** The complete lines of a chunk, the fetches they hold, and the bytes they span. */
export function readFetchChunk(chunk: Buffer): { fetches: PolicyFetch[]; consumed: number; skipped: number } {
  const end = chunk.lastIndexOf(0x0a);
  if (end < 0) return { fetches: [], consumed: 0, skipped: 0 };
  const fetches: PolicyFetch[] = [];
  let skipped = 0;
  for (const line of chunk.subarray(0, end).toString('latin1').split('\n')) {
    if (line === '') continue;
    const fetch = parseFetchLine(line);
    if (fetch) fetches.push(fetch);
    else skipped++;
  }
  return { fetches, consumed: end + 1, skipped };
}

/** The fetches added up per domain, day and address, for the domains `served` says yes to. */
export function dailyFetches(fetches: readonly PolicyFetch[], served: (domain: string) => boolean): DailyFetches[] {
  const rows = new Map<string, { domain: string; day: string; address: string; fetches: number; failures: number }>();
  for (const fetch of fetches) {
    if (!served(fetch.domain)) continue;
    const day = utcDay(fetch.at);
    const key = `${fetch.domain} ${day} ${fetch.address}`;
    const row = rows.get(key) ?? { domain: fetch.domain, day, address: fetch.address, fetches: 0, failures: 0 };
    row.fetches++;
    if (fetch.status !== 200) row.failures++;
    rows.set(key, row);
  }
  return [...rows.values()];
}

/** Reverse DNS names of the big mail senders' fetchers, and whom they belong to. */
const SENDERS: readonly (readonly [RegExp, string])[] = [
  [/(^|\.)(google\.com|googlemail\.com|1e100\.net|googleusercontent\.com)$/, 'Google'],
  [/(^|\.)(outlook\.com|hotmail\.com|microsoft\.com|office365\.com|outlook\.office\.net)$/, 'Microsoft'],
  [/(^|\.)(yahoo\.com|yahoodns\.net|yahoo\.net|aol\.com)$/, 'Yahoo'],
  [/(^|\.)(apple\.com|icloud\.com|me\.com)$/, 'Apple'],
  [/(^|\.)(messagingengine\.com|fastmail\.com)$/, 'Fastmail'],
  [/(^|\.)(protonmail\.ch|proton\.ch|protonmail\.com)$/, 'Proton'],
  [/(^|\.)(zoho\.com|zohomail\.com|zoho\.eu)$/, 'Zoho'],
  [/(^|\.)(gmx\.net|web\.de|1and1\.com|ionos\.com|kundenserver\.de)$/, 'GMX / WEB.DE / IONOS'],
  [/(^|\.)(mail\.ru)$/, 'Mail.ru'],
  [/(^|\.)(yandex\.net|yandex\.ru)$/, 'Yandex'],
  [/(^|\.)(comcast\.net)$/, 'Comcast'],
  [/(^|\.)(amazonses\.com)$/, 'Amazon SES'],
  [/(^|\.)(mailgun\.net|mailgun\.org)$/, 'Mailgun'],
  [/(^|\.)(sendgrid\.net)$/, 'SendGrid'],
];

/**
 * Who a fetcher is, from its reverse DNS name: a big sender's name when the PTR name is
 * one of theirs, else the PTR name itself. Only for a name whose forward lookup gave the
 * address back (anyone can put "google.com" in their own PTR).
 */
export function senderName(confirmedPtr: string): string {
  const name = confirmedPtr.toLowerCase().replace(/\.$/, '');
  for (const [pattern, sender] of SENDERS) if (pattern.test(name)) return sender;
  return name;
}
