/** Where senders' TLS reports come in and what is kept of them (RFC 8460). */
export interface ReportsOptions {
  /** Days a report is kept as received, with its failure examples. @default 180 */
  retentionDays?: number;
  /** Days the daily session counts and policy fetch counts are kept. @default 730 */
  totalsRetentionDays?: number;
  /**
   * Reports POSTed over HTTPS to `https://mta-sts.<domain>/tlsrpt`: every policy host's
   * nginx forwards that one path (POST only, within the size cap and a rate limit per
   * client address) to the panel. Without it, policy hosts answer 404 there.
   */
  https?: HttpsReportOptions;
  /** Reports mailed to a mailbox the panel reads over IMAP. */
  imap?: ImapReportOptions;
  /**
   * The log nginx writes one line to for each fetch of `/.well-known/mta-sts.txt`, read
   * into each domain's fetch activity; `false` writes none.
   * @default '<dataDir>/logs/policy-fetches.log'
   */
  fetchLog?: string | false;
}

export interface HttpsReportOptions {
  /**
   * The panel's own `tlsrpt` route as nginx reaches it, e.g. `http://127.0.0.1:3000/tlsrpt`
   * (below the operations prefix and any global prefix of the host application).
   */
  proxyTo: string;
  /** Requests a minute one client address may make; more get 429. @default 30 */
  requestsPerMinute?: number;
}

export interface ImapReportOptions {
  /** The IMAP server, e.g. `mail.example.net`. */
  host: string;
  /** @default 993 with `secure`, else 143 (STARTTLS required) */
  port?: number;
  /** TLS from the start (port 993); otherwise STARTTLS is required. @default true */
  secure?: boolean;
  user: string;
  /** Never shown on pages, in API answers or in logs. */
  password: string;
  /** The address the mailbox receives, used in the TLS-RPT record's `rua` (`mailto:`). */
  address: string;
  /** The folder reports arrive in. @default 'INBOX' */
  mailbox?: string;
  /** Where a message goes once its report is stored (created when missing). @default 'TLS reports' */
  processedMailbox?: string;
  /** Where a message goes that holds no readable report; the reason is recorded. @default 'TLS reports/unreadable' */
  unreadableMailbox?: string;
  /** A PEM CA bundle (a file path) to trust besides the system's, for a private CA. */
  caFile?: string;
  /** How often the mailbox is read, in seconds. @default 300 */
  intervalSeconds?: number;
}
