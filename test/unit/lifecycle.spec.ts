import { CheckId, checkMxTls } from '../../src/mta-sts/domain/checks';
import { parseDomainName } from '../../src/mta-sts/domain/hostname';
import {
  cachedUntil,
  describeDuration,
  enforceRisks,
  mxTransition,
  promotionBlockers,
  retirementDeadline,
} from '../../src/mta-sts/domain/lifecycle';
import { SmtpProbeResult } from '../../src/mta-sts/ports';

const DAY = 86_400_000;
const NOW = new Date('2026-11-22T12:00:00Z');
const WEEK_SECONDS = 604_800;

describe('retirement timing (RFC 8461 §8.3)', () => {
  it('keeps the host until the largest max_age ever served has passed since retirement started, plus the TXT TTL', () => {
    expect(retirementDeadline(NOW, 2_592_000, 3600).toISOString()).toBe('2026-12-22T13:00:00.000Z');
    expect(retirementDeadline(NOW, 86_400, 0).toISOString()).toBe('2026-11-23T12:00:00.000Z');
  });

  it('says until when senders may hold a policy if the host goes now', () => {
    expect(cachedUntil(NOW, WEEK_SECONDS).toISOString()).toBe('2026-11-29T12:00:00.000Z');
  });

  it('writes countdowns in days and hours, hours and minutes, or minutes', () => {
    expect(describeDuration(30 * DAY + 3_600_000)).toBe('30 days 1 h');
    expect(describeDuration(DAY)).toBe('1 day');
    expect(describeDuration(5 * 3_600_000 + 20 * 60_000)).toBe('5 h 20 min');
    expect(describeDuration(90_000)).toBe('2 min');
    expect(describeDuration(-5)).toBe('0 min');
  });
});

describe('promotion to enforce', () => {
  const pass = (check: CheckId) => ({ check, status: 'pass', summary: 'ok' }) as const;
  const all = ['dns', 'https', 'certificate', 'policy-record', 'tls-rpt', 'mx-coverage', 'mx-tls'] as const;

  it('is allowed when every required check passes; a TLS-RPT warning does not stop it', () => {
    const results = all.map((id) =>
      id === 'tls-rpt' ? { check: id, status: 'warn' as const, summary: 'no record' } : pass(id),
    );
    expect(promotionBlockers(results, all)).toEqual([]);
  });

  it('lists every failing or warning check by title, and checks that never ran', () => {
    const results = [
      pass('dns'),
      { check: 'https' as const, status: 'fail' as const, summary: 'status 404.' },
      pass('certificate'),
      pass('policy-record'),
      { check: 'mx-coverage' as const, status: 'warn' as const, summary: 'mx2.example.com is not covered.' },
    ];
    expect(promotionBlockers(results, all)).toEqual([
      'HTTPS policy endpoint reachable: status 404.',
      'TLS reporting record: not checked yet.',
      'MX hosts covered by the policy: mx2.example.com is not covered.',
      'MX hosts accept TLS (STARTTLS probe): not checked yet.',
    ]);
  });

  it('does not require a check that is turned off', () => {
    expect(
      promotionBlockers(
        all.filter((id) => id !== 'mx-tls').map(pass),
        all.filter((id) => id !== 'mx-tls'),
      ),
    ).toEqual([]);
  });
});

describe('the MX watch', () => {
  const old = ['mx1.example.com'];

  it('does nothing when the live MX set is what the policy lists', () => {
    expect(mxTransition('testing', old, old, null, WEEK_SECONDS, NOW)).toEqual({ kind: 'none' });
    expect(mxTransition('enforce', old, old, null, WEEK_SECONDS, NOW)).toEqual({ kind: 'none' });
  });

  it('follows at once in testing mode', () => {
    expect(mxTransition('testing', old, ['mx3.example.com', 'mx2.example.com'], null, WEEK_SECONDS, NOW)).toEqual({
      kind: 'follow',
      mx: ['mx2.example.com', 'mx3.example.com'],
    });
  });

  it('never touches a retiring (mode none) policy', () => {
    expect(mxTransition('none', old, ['mx2.example.com'], null, WEEK_SECONDS, NOW)).toEqual({ kind: 'none' });
  });

  it('in enforce, adds new hosts at once and keeps the old ones for the previous max_age', () => {
    expect(mxTransition('enforce', old, ['mx2.example.com'], null, WEEK_SECONDS, NOW)).toEqual({
      kind: 'widen',
      mx: ['mx1.example.com', 'mx2.example.com'],
      drop: { hosts: ['mx1.example.com'], after: '2026-11-29T12:00:00.000Z' },
    });
  });

  it('in enforce, adds a host without scheduling a drop when nothing left', () => {
    expect(mxTransition('enforce', old, ['mx1.example.com', 'mx2.example.com'], null, WEEK_SECONDS, NOW)).toEqual({
      kind: 'widen',
      mx: ['mx1.example.com', 'mx2.example.com'],
      drop: null,
    });
  });

  it('in enforce, schedules the drop of a host that left DNS without changing the policy', () => {
    const served = ['mx1.example.com', 'mx2.example.com'];
    expect(mxTransition('enforce', served, ['mx2.example.com'], null, WEEK_SECONDS, NOW)).toEqual({
      kind: 'schedule-drop',
      drop: { hosts: ['mx1.example.com'], after: '2026-11-29T12:00:00.000Z' },
    });
  });

  it('in enforce, drops the old hosts only once their time has passed, and never empties the policy', () => {
    const served = ['mx1.example.com', 'mx2.example.com'];
    const pending = { hosts: ['mx1.example.com'], after: '2026-11-29T12:00:00.000Z' };
    const before = new Date('2026-11-29T11:59:59Z');
    const after = new Date('2026-11-29T12:00:00Z');
    expect(mxTransition('enforce', served, ['mx2.example.com'], pending, WEEK_SECONDS, before)).toEqual({
      kind: 'none',
    });
    expect(mxTransition('enforce', served, ['mx2.example.com'], pending, WEEK_SECONDS, after)).toEqual({
      kind: 'narrow',
      mx: ['mx2.example.com'],
      drop: null,
    });
    expect(mxTransition('enforce', old, [], { hosts: old, after: pending.after }, WEEK_SECONDS, after)).toEqual({
      kind: 'none',
    });
  });

  it('in enforce, forgets a scheduled drop when the host comes back', () => {
    const served = ['mx1.example.com', 'mx2.example.com'];
    const pending = { hosts: ['mx1.example.com'], after: '2026-11-29T12:00:00.000Z' };
    expect(mxTransition('enforce', served, served, pending, WEEK_SECONDS, NOW)).toEqual({
      kind: 'schedule-drop',
      drop: null,
    });
  });
});

describe('certificate trouble under enforce', () => {
  it('is a risk when the policy host certificate has under 7 days left and renewal fails', () => {
    expect(enforceRisks({ certificateDaysLeft: 6, renewalFailing: true })).toEqual([
      "The policy host's certificate expires in 6 day(s) and its renewal is failing.",
    ]);
    expect(enforceRisks({ certificateDaysLeft: 6, renewalFailing: false })).toEqual([]);
    expect(enforceRisks({ certificateDaysLeft: 7, renewalFailing: true })).toEqual([]);
  });

  it('is a risk when the STARTTLS probe does not pass', () => {
    expect(
      enforceRisks({
        certificateDaysLeft: 60,
        renewalFailing: false,
        smtp: { status: 'warn', summary: 'The certificate of MX host mx1.example.com expires on 2026-11-30.' },
      }),
    ).toEqual(['MX TLS: The certificate of MX host mx1.example.com expires on 2026-11-30.']);
    expect(
      enforceRisks({ certificateDaysLeft: 60, renewalFailing: false, smtp: { status: 'pass', summary: 'ok' } }),
    ).toEqual([]);
  });
});

describe('the STARTTLS probe check (mx-tls)', () => {
  const domain = parseDomainName('example.com');
  const live = { ok: true as const, value: ['mx1.example.com', 'mx2.example.com'] };
  const ok = (host: string, notAfter = new Date('2027-06-01T00:00:00Z')): SmtpProbeResult => ({
    host,
    ok: true,
    summary: `${host} (192.0.2.1) offers STARTTLS with TLSv1.3 and a valid certificate until ${notAfter.toISOString().slice(0, 10)}`,
    addresses: [{ address: '192.0.2.1', ok: true, tlsVersion: 'TLSv1.3', certificateNotAfter: notAfter }],
  });
  const bad = (host: string, summary: string): SmtpProbeResult => ({
    host,
    ok: false,
    summary,
    addresses: [{ address: '192.0.2.1', ok: false, problem: summary }],
  });

  it('passes when every MX host passes, with one line per host in the detail', () => {
    const verdict = checkMxTls(domain, live, [ok('mx1.example.com'), ok('mx2.example.com')], 'testing', NOW);
    expect(verdict.status).toBe('pass');
    expect(verdict.summary).toBe('All 2 MX hosts offer STARTTLS with a valid certificate.');
    expect(verdict.detail.split('\n')).toHaveLength(2);
  });

  it('warns in testing and fails in enforce when a host fails, naming it', () => {
    const probes = [
      ok('mx1.example.com'),
      bad('mx2.example.com', 'mx2.example.com (192.0.2.1) does not offer STARTTLS'),
    ];
    const testing = checkMxTls(domain, live, probes, 'testing', NOW);
    expect(testing.status).toBe('warn');
    expect(testing.summary).toBe('mx2.example.com (192.0.2.1) does not offer STARTTLS.');
    const enforce = checkMxTls(domain, live, probes, 'enforce', NOW);
    expect(enforce.status).toBe('fail');
    expect(enforce.summary).toMatch(/Senders enforcing MTA-STS will not deliver there\.$/);
    expect(enforce.detail).toContain('✗ mx2.example.com');
  });

  it('words each failing host as a sentence of its own', () => {
    const probes = [
      bad('mx2.example.com', 'mx2.example.com cannot be reached from this server on any address (192.0.2.2: timeout)'),
      bad('mx1.example.com', 'mx1.example.com (192.0.2.1) presents a certificate that has expired'),
    ];
    expect(checkMxTls(domain, live, probes, 'enforce', NOW).summary).toBe(
      'mx2.example.com cannot be reached from this server on any address (192.0.2.2: timeout). ' +
        'mx1.example.com (192.0.2.1) presents a certificate that has expired. ' +
        'Senders enforcing MTA-STS will not deliver there.',
    );
    expect(checkMxTls(domain, live, [bad('mx1.example.com', 'Already a sentence.')], 'testing', NOW).summary).toBe(
      'Already a sentence.',
    );
  });

  it('warns two weeks before an MX certificate expires', () => {
    const verdict = checkMxTls(
      domain,
      live,
      [ok('mx1.example.com'), ok('mx2.example.com', new Date('2026-12-01T00:00:00Z'))],
      'enforce',
      NOW,
    );
    expect(verdict.status).toBe('warn');
    expect(verdict.summary).toBe('The certificate of MX host mx2.example.com expires on 2026-12-01.');
  });

  it('warns when the MX look-up failed', () => {
    expect(checkMxTls(domain, { ok: false, error: 'ETIMEOUT' }, [], 'enforce', NOW)).toMatchObject({
      status: 'warn',
      summary: 'The MX look-up of example.com failed: ETIMEOUT.',
    });
  });
});
