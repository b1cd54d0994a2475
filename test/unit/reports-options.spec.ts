import { describe, expect, it } from 'vitest';
import { resolveMtaStsOptions } from '../../src/mta-sts/mta-sts.options';
import type { ReportsOptions } from '../../src/mta-sts/options/reports-options';

const resolve = (reports: ReportsOptions | undefined, extra: Record<string, unknown> = {}) =>
  resolveMtaStsOptions({ serverIpv4: '192.0.2.10', dataDir: '/srv/mta-sts', reports, ...extra });

const imap = {
  host: 'mail.example.net',
  user: 'tlsrpt',
  password: 'imap-secret-password',
  address: 'tls-reports@example.net',
};

describe('The reports options', () => {
  it('keep reports 180 days and daily counts 730, log policy fetches under the data directory, and take no reports by default', () => {
    const resolved = resolve(undefined);
    expect(resolved.reports).toEqual({
      retentionDays: 180,
      totalsRetentionDays: 730,
      https: undefined,
      imap: undefined,
      fetchLog: '/srv/mta-sts/logs/policy-fetches.log',
    });
    expect(resolved.tlsRptRua).toBe('mailto:tls-reports@{domain}');
  });

  it('refuse daily counts kept shorter than the reports', () => {
    expect(() => resolve({ retentionDays: 400, totalsRetentionDays: 300 })).toThrow(
      'reports.totalsRetentionDays: must be at least reports.retentionDays',
    );
  });

  it('write no fetch log when told so, and take another path', () => {
    expect(resolve({ fetchLog: false }).reports.fetchLog).toBeUndefined();
    expect(resolve({ fetchLog: '/var/log/nginx/mta-sts-fetches.log' }).reports.fetchLog).toBe(
      '/var/log/nginx/mta-sts-fetches.log',
    );
    expect(() => resolve({ fetchLog: '/var/log/x";.log' })).toThrow(/reports\.fetchLog: .* is not a usable path/);
  });

  it('point the TLS-RPT record at the policy host with the HTTPS intake, at the mailbox with IMAP, and at both with both', () => {
    const https = { proxyTo: 'http://127.0.0.1:3000/tlsrpt' };
    expect(resolve({ https }).tlsRptRua).toBe('https://mta-sts.{domain}/tlsrpt');
    expect(resolve({ https }).reports.https).toEqual({
      proxyTo: 'http://127.0.0.1:3000/tlsrpt',
      requestsPerMinute: 30,
    });
    expect(resolve({ imap }).tlsRptRua).toBe('mailto:tls-reports@example.net');
    expect(resolve({ https, imap }).tlsRptRua).toBe('https://mta-sts.{domain}/tlsrpt,mailto:tls-reports@example.net');
    // The operator's own rua wins (an operator-wide URL, say).
    expect(resolve({ https }, { tlsRptRua: 'https://reports.example.net/tlsrpt' }).tlsRptRua).toBe(
      'https://reports.example.net/tlsrpt',
    );
  });

  it('refuse a proxy target nginx could not use or that could break out of its directive', () => {
    for (const proxyTo of [
      '127.0.0.1:3000/tlsrpt',
      'ftp://127.0.0.1/tlsrpt',
      'http://127.0.0.1:3000/tlsrpt;',
      'http://a b/',
      'http://u:p@127.0.0.1/x',
      'http://127.0.0.1/x?y=1',
      'http://127.0.0.1/$host',
    ]) {
      expect(() => resolve({ https: { proxyTo } }), proxyTo).toThrow(/reports\.https\.proxyTo: .*tlsrpt route/);
    }
    expect(() => resolve({ https: { proxyTo: 'http://127.0.0.1:3000/tlsrpt', requestsPerMinute: 0 } })).toThrow(
      /reports\.https\.requestsPerMinute/,
    );
  });

  it('resolve the IMAP mailbox with its defaults, and refuse one without a user, password or address', () => {
    expect(resolve({ imap }).reports.imap).toEqual({
      ...imap,
      port: 993,
      secure: true,
      mailbox: 'INBOX',
      processedMailbox: 'TLS reports',
      unreadableMailbox: 'TLS reports/unreadable',
      caPem: undefined,
      intervalMs: 300_000,
    });
    expect(resolve({ imap: { ...imap, secure: false } }).reports.imap?.port).toBe(143);
    expect(() => resolve({ imap: { ...imap, password: '' } })).toThrow('reports.imap.password: is required');
    expect(() => resolve({ imap: { ...imap, user: ' ' } })).toThrow('reports.imap.user: is required');
    expect(() => resolve({ imap: { ...imap, address: 'nobody' } })).toThrow(/reports\.imap\.address: "nobody" is not/);
    expect(() => resolve({ imap: { ...imap, processedMailbox: 'INBOX' } })).toThrow(/must differ from the mailbox/);
    expect(() => resolve({ imap: { ...imap, mailbox: 'A*' } })).toThrow(/not a usable IMAP folder name/);
    expect(() => resolve({ imap: { ...imap, caFile: '/nonexistent/ca.pem' } })).toThrow(
      /reports\.imap\.caFile: cannot read/,
    );
  });
});
