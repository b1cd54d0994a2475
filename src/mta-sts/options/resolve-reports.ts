import { join } from 'node:path';
import { InvalidOptionError } from '../domain/errors';
import type { HostFacts } from './host-facts';
import { readPemOption } from './pem-option';
import type { ReportsOptions } from './reports-options';
import { bounded, path } from './validators';

export interface ResolvedHttpsReports {
  readonly proxyTo: string;
  readonly requestsPerMinute: number;
}

export interface ResolvedImapReports {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user: string;
  readonly password: string;
  readonly address: string;
  readonly mailbox: string;
  readonly processedMailbox: string;
  readonly unreadableMailbox: string;
  readonly caPem?: string;
  readonly intervalMs: number;
}

export interface ResolvedReports {
  readonly retentionDays: number;
  readonly totalsRetentionDays: number;
  readonly https?: ResolvedHttpsReports;
  readonly imap?: ResolvedImapReports;
  /** nginx's log of policy fetches; undefined when none is written. */
  readonly fetchLog?: string;
}

/** A plain http(s) URL nginx can `proxy_pass` to: no quotes, spaces, `;`, braces or `$`. */
function proxyTarget(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || /["'`\s;{}$\\]/.test(text) || url.username || url.search) {
    throw new InvalidOptionError(
      'reports.https.proxyTo',
      `"${String(value)}" must be the panel's tlsrpt route as nginx reaches it, e.g. http://127.0.0.1:3000/tlsrpt`,
    );
  }
  return text;
}

function required(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidOptionError(option, 'is required');
  return value.trim();
}

/** An IMAP folder name: no control characters, at most 200 characters. */
function folder(option: string, value: string | undefined, fallback: string): string {
  const name = value?.trim() || fallback;
  if (name.length > 200 || /[\u0000-\u001f\u007f*%]/.test(name)) {
    throw new InvalidOptionError(option, `"${name}" is not a usable IMAP folder name`);
  }
  return name;
}

function imapReports(options: ReportsOptions['imap'], facts: HostFacts): ResolvedImapReports | undefined {
  if (!options) return undefined;
  const secure = options.secure ?? true;
  const address = required('reports.imap.address', options.address);
  if (!/^[^\s@;,"\\]+@[a-z0-9.-]+\.[a-z]{2,}$/i.test(address)) {
    throw new InvalidOptionError('reports.imap.address', `"${address}" is not an e-mail address`);
  }
  const caFile = options.caFile ? path('reports.imap.caFile', options.caFile) : undefined;
  const mailbox = folder('reports.imap.mailbox', options.mailbox, 'INBOX');
  const processedMailbox = folder('reports.imap.processedMailbox', options.processedMailbox, 'TLS reports');
  const unreadableMailbox = folder(
    'reports.imap.unreadableMailbox',
    options.unreadableMailbox,
    'TLS reports/unreadable',
  );
  if (processedMailbox === mailbox || unreadableMailbox === mailbox) {
    throw new InvalidOptionError('reports.imap', 'the processed and unreadable folders must differ from the mailbox');
  }
  return {
    host: required('reports.imap.host', options.host),
    port: bounded('reports.imap.port', options.port, secure ? 993 : 143, 1, 65_535),
    secure,
    user: required('reports.imap.user', options.user),
    password: required('reports.imap.password', options.password),
    address,
    mailbox,
    processedMailbox,
    unreadableMailbox,
    caPem: readPemOption('reports.imap.caFile', caFile, facts),
    intervalMs: bounded('reports.imap.intervalSeconds', options.intervalSeconds, 300, 10, 86_400) * 1000,
  };
}

/** Where nginx logs policy fetches unless `reports.fetchLog` names another file. */
export function defaultFetchLog(dataDir: string): string {
  return join(dataDir, 'logs', 'policy-fetches.log');
}

/** The `reports` options checked, with defaults. */
export function resolveReports(
  options: ReportsOptions | undefined,
  dataDir: string,
  facts: HostFacts,
): ResolvedReports {
  const retentionDays = bounded('reports.retentionDays', options?.retentionDays, 180, 1, 3_650);
  const totalsRetentionDays = bounded('reports.totalsRetentionDays', options?.totalsRetentionDays, 730, 1, 36_500);
  if (totalsRetentionDays < retentionDays) {
    throw new InvalidOptionError('reports.totalsRetentionDays', 'must be at least reports.retentionDays');
  }
  const https = options?.https
    ? {
        proxyTo: proxyTarget(options.https.proxyTo),
        requestsPerMinute: bounded('reports.https.requestsPerMinute', options.https.requestsPerMinute, 30, 1, 60_000),
      }
    : undefined;
  const fetchLog =
    options?.fetchLog === false ? undefined : path('reports.fetchLog', options?.fetchLog ?? defaultFetchLog(dataDir));
  return { retentionDays, totalsRetentionDays, https, imap: imapReports(options?.imap, facts), fetchLog };
}

/**
 * The TLS-RPT `rua` template when the operator gave none: the intakes set up (HTTPS on
 * the policy host, then the IMAP mailbox), else `mailto:tls-reports@{domain}` as before.
 */
export function defaultRua(reports: ResolvedReports): string {
  const uris = [
    ...(reports.https ? ['https://mta-sts.{domain}/tlsrpt'] : []),
    ...(reports.imap ? [`mailto:${reports.imap.address}`] : []),
  ];
  return uris.length > 0 ? uris.join(',') : 'mailto:tls-reports@{domain}';
}
