import { Env, envBoolean, envInteger, envText } from './env-values';
import type { ReportsOptions } from '../index';

/** Which variable feeds which `reports` option, so errors can name the variable. */
export const REPORTS_VARIABLE_OF_OPTION: Record<string, string> = {
  'reports.retentionDays': 'MTA_STS_REPORTS_RETENTION_DAYS',
  'reports.totalsRetentionDays': 'MTA_STS_REPORTS_TOTALS_RETENTION_DAYS',
  'reports.https.proxyTo': 'MTA_STS_TLSRPT_PROXY_TO',
  'reports.https.requestsPerMinute': 'MTA_STS_TLSRPT_RATE',
  'reports.fetchLog': 'MTA_STS_FETCH_LOG',
  'reports.imap.host': 'MTA_STS_IMAP_HOST',
  'reports.imap.port': 'MTA_STS_IMAP_PORT',
  'reports.imap.user': 'MTA_STS_IMAP_USER',
  'reports.imap.password': 'MTA_STS_IMAP_PASSWORD',
  'reports.imap.address': 'MTA_STS_IMAP_ADDRESS',
  'reports.imap.mailbox': 'MTA_STS_IMAP_MAILBOX',
  'reports.imap.caFile': 'MTA_STS_IMAP_CA_FILE',
};

/**
 * The `reports` options from the environment. `MTA_STS_TLSRPT_HTTPS=true` has the policy
 * hosts forward reports to this panel's own listener (`MTA_STS_TLSRPT_PROXY_TO` names
 * another); `MTA_STS_IMAP_HOST` turns on the mailbox; `MTA_STS_FETCH_LOG=off` writes no
 * fetch log. The module checks every value and names the variable of a wrong one.
 */
export function reportsFromEnv(env: Env, host: string, port: number): ReportsOptions {
  const proxyTo = envText(env, 'MTA_STS_TLSRPT_PROXY_TO');
  const own = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}/tlsrpt`;
  const https = proxyTo || envBoolean(env, 'MTA_STS_TLSRPT_HTTPS') ? { proxyTo: proxyTo ?? own } : undefined;
  const fetchLog = envText(env, 'MTA_STS_FETCH_LOG');
  const imapHost = envText(env, 'MTA_STS_IMAP_HOST');
  return {
    retentionDays: envInteger(env, 'MTA_STS_REPORTS_RETENTION_DAYS', 1, 3_650),
    totalsRetentionDays: envInteger(env, 'MTA_STS_REPORTS_TOTALS_RETENTION_DAYS', 1, 36_500),
    https: https && { ...https, requestsPerMinute: envInteger(env, 'MTA_STS_TLSRPT_RATE', 1, 60_000) },
    fetchLog: fetchLog === 'off' ? false : fetchLog,
    imap: imapHost
      ? {
          host: imapHost,
          port: envInteger(env, 'MTA_STS_IMAP_PORT', 1, 65_535),
          secure: envBoolean(env, 'MTA_STS_IMAP_TLS'),
          user: envText(env, 'MTA_STS_IMAP_USER') ?? '',
          password: env.MTA_STS_IMAP_PASSWORD ?? '',
          address: envText(env, 'MTA_STS_IMAP_ADDRESS') ?? '',
          mailbox: envText(env, 'MTA_STS_IMAP_MAILBOX'),
          caFile: envText(env, 'MTA_STS_IMAP_CA_FILE'),
        }
      : undefined,
  };
}
