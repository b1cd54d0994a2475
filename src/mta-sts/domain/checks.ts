import { certificateCoversHost, CertificateInfo } from './certificate';
import { readableTime } from './messages';
import { canonicalIp, policyIndicatorValue } from './dns-records';
import { DomainName } from './hostname';
import { mxMatches, parsePolicy } from './policy-parser';
import { PolicyMode } from './policy';
import type { DomainState } from './domain-state';
import { readStsRecords, readTlsRptRecords } from './txt-records';
import type { SmtpProbeResult } from '../ports/smtp-prober.port';

/**
 * The readiness checks: pure functions from what was observed (DNS answers, an HTTPS
 * exchange, a certificate) to a verdict that says what is wrong and what to do. The
 * services gather the observations; nothing here does I/O or throws for a failed check.
 */
export const CHECK_IDS = ['dns', 'https', 'certificate', 'policy-record', 'tls-rpt', 'mx-coverage', 'mx-tls'] as const;
export type CheckId = (typeof CHECK_IDS)[number];
export type CheckStatus = 'pass' | 'warn' | 'fail';

export const CHECK_TITLES: Record<CheckId, string> = {
  dns: 'DNS resolves to this server',
  https: 'HTTPS policy endpoint reachable',
  certificate: 'Certificate valid',
  'policy-record': 'Policy id in DNS matches',
  'tls-rpt': 'TLS reporting record',
  'mx-coverage': 'MX hosts covered by the policy',
  'mx-tls': 'MX hosts accept TLS (STARTTLS probe)',
};

/** Checks whose failure only means DNS changes are not visible yet (see `domainBadge`). */
export const DNS_VISIBILITY_CHECKS: readonly CheckId[] = ['dns', 'policy-record', 'tls-rpt'];

export interface CheckVerdict {
  readonly check: CheckId;
  readonly status: CheckStatus;
  readonly summary: string;
  readonly detail: string;
  readonly remedy: string;
  /** What DNS answered, by record type, for the record table (`A`, `AAAA`, `TXT`). */
  readonly observed?: Readonly<Record<string, readonly string[]>>;
}

export interface CheckResult extends CheckVerdict {
  readonly observedAt: Date;
}

/** A DNS answer, or why there is none (a timeout, SERVFAIL). */
export type Lookup<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const pass = (check: CheckId, summary: string, detail = ''): CheckVerdict => ({
  check,
  status: 'pass',
  summary,
  detail,
  remedy: '',
});

/** 1. Every A/AAAA answer for `mta-sts.<d>` is this server, and each configured family is there. */
export function checkAddresses(
  domain: DomainName,
  expected: { readonly ipv4?: string; readonly ipv6?: string },
  seen: { readonly a: Lookup<string[]>; readonly aaaa: Lookup<string[]> },
): CheckVerdict {
  const host = domain.policyHost;
  const problems: string[] = [];
  const remedies: string[] = [];
  const families = [
    ['A', expected.ipv4, seen.a],
    ['AAAA', expected.ipv6, seen.aaaa],
  ] as const;
  const observed: string[] = [];
  for (const [type, want, answer] of families) {
    if (!answer.ok) {
      problems.push(`the ${type} look-up failed (${answer.error})`);
      remedies.push(`Check that the DNS servers for ${domain.ascii} answer for ${host}.`);
      continue;
    }
    observed.push(`${type}: ${answer.value.length ? answer.value.join(', ') : 'none'}`);
    const strangers = answer.value.filter((address) => !want || canonicalIp(address) !== canonicalIp(want));
    if (want && answer.value.length === 0) {
      problems.push(`no ${type} record`);
      remedies.push(`Publish ${host} ${type} ${want}.`);
    } else if (strangers.length > 0) {
      problems.push(`${type} ${strangers.join(', ')} is not this server${want ? ` (${want})` : ''}`);
      remedies.push(
        want
          ? `Change ${host} ${type} to ${want} only.`
          : `Remove the ${type} record of ${host}, or configure this server's IPv${type === 'A' ? 4 : 6} address.`,
      );
    }
  }
  const expectedText = [expected.ipv4, expected.ipv6].filter(Boolean).join(' and ');
  const detail = `Seen ${observed.join('; ') || 'nothing'}; expected ${expectedText}.`;
  const answers = {
    ...(seen.a.ok ? { A: seen.a.value } : {}),
    ...(seen.aaaa.ok ? { AAAA: seen.aaaa.value } : {}),
  };
  if (problems.length === 0) return { ...pass('dns', `${host} points at this server.`, detail), observed: answers };
  return {
    check: 'dns',
    status: 'fail',
    summary: `${host}: ${problems.join('; ')}.`,
    detail,
    remedy: remedies.join(' '),
    observed: answers,
  };
}

export interface PolicyExchange {
  readonly status: number;
  readonly contentType?: string;
  readonly location?: string;
  readonly body: string;
  readonly truncated: boolean;
  readonly elapsedMs: number;
}

/** Senders time out after a few seconds (postfix-mta-sts-resolver: 4 s); the RFC sets no number. */
export const POLICY_FETCH_TIMEOUT_MS = 10_000;
export const POLICY_MAX_BYTES = 64 * 1024;

/** 2. The policy endpoint answers like a strict sender expects, with the policy the module serves. */
export function checkPolicyEndpoint(
  domain: DomainName,
  exchange: Lookup<PolicyExchange>,
  servedText: string | undefined,
): CheckVerdict {
  const url = `https://${domain.policyHost}/.well-known/mta-sts.txt`;
  if (!exchange.ok) {
    return {
      check: 'https',
      status: 'fail',
      summary: `${url} could not be fetched: ${exchange.error}.`,
      detail: '',
      remedy: 'Check that nginx is running, that port 443 is open to the internet, and that the domain is enabled.',
    };
  }
  const r = exchange.value;
  const violations: string[] = [];
  if (r.status >= 300 && r.status < 400) {
    violations.push(
      `redirect: status ${r.status} to ${r.location ?? '(no location)'} (senders never follow redirects)`,
    );
  } else if (r.status !== 200) violations.push(`status: ${r.status}, not 200`);
  if (r.contentType !== 'text/plain') {
    violations.push(`content-type: ${r.contentType ? `"${r.contentType}"` : 'missing'}, not exactly text/plain`);
  }
  if (r.truncated) violations.push(`size: larger than ${POLICY_MAX_BYTES} bytes`);
  if (r.elapsedMs > POLICY_FETCH_TIMEOUT_MS) violations.push(`time: ${r.elapsedMs} ms`);
  if (r.status === 200) {
    const parsed = parsePolicy(r.body);
    for (const problem of parsed.problems) violations.push(`policy: ${problem}`);
    if (servedText !== undefined && r.body !== servedText)
      violations.push('content: differs from the policy this panel serves');
  }
  if (violations.length === 0) return pass('https', `${url} serves the policy.`, `Answered in ${r.elapsedMs} ms.`);
  return {
    check: 'https',
    status: 'fail',
    summary: `${url} is not acceptable to senders: ${violations.join('; ')}.`,
    detail: r.status === 200 ? `Served:\n${r.body.slice(0, 2000)}` : '',
    remedy:
      'Something other than this panel answers for the policy host, or its vhost was edited. Disable and enable the domain to rewrite the vhost, and check other nginx sites for the same server_name.',
  };
}

/** Days left before a certificate must be replaced to avoid a warning. */
export const CERTIFICATE_WARN_DAYS = 14;

export interface PresentedCertificate {
  readonly info: CertificateInfo;
  /** The chain verified against the trusted roots (the TLS library's verdict). */
  readonly trusted: boolean;
  readonly trustError?: string;
}

/** 3. The certificate on port 443 verifies, covers the policy host and is not about to expire. */
export function checkCertificate(domain: DomainName, presented: Lookup<PresentedCertificate>, now: Date): CheckVerdict {
  const host = domain.policyHost;
  if (!presented.ok) {
    return {
      check: 'certificate',
      status: 'fail',
      summary: `No certificate could be read from ${host}:443: ${presented.error}.`,
      detail: '',
      remedy: 'Check that nginx is running and serves the domain on port 443.',
    };
  }
  const { info, trusted, trustError } = presented.value;
  const daysLeft = Math.floor((info.notAfter.getTime() - now.getTime()) / 86_400_000);
  const detail = `Issuer ${info.issuer}; valid ${readableTime(info.notBefore)} to ${readableTime(info.notAfter)}; names ${info.dnsNames.join(', ') || 'none'}.`;
  const fail = (summary: string, remedy: string): CheckVerdict => ({
    check: 'certificate',
    status: 'fail',
    summary,
    detail,
    remedy,
  });
  if (now > info.notAfter) {
    return fail(`The certificate of ${host} expired on ${readableTime(info.notAfter)}.`, 'Re-issue the certificate.');
  }
  if (now < info.notBefore) {
    return fail(
      `The certificate of ${host} is not valid before ${readableTime(info.notBefore)}.`,
      "Check this server's clock.",
    );
  }
  if (!certificateCoversHost(info, host)) {
    return fail(
      `The certificate presented for ${host} is for ${info.dnsNames.join(', ') || info.subject}.`,
      'Another site answers for this name: check for a conflicting server_name, then re-issue.',
    );
  }
  if (!trusted) {
    return fail(
      `The certificate of ${host} does not chain to a trusted root (${trustError ?? 'unknown reason'}).`,
      'Re-issue the certificate from a publicly trusted CA (not a staging or test CA).',
    );
  }
  if (daysLeft < CERTIFICATE_WARN_DAYS) {
    return {
      check: 'certificate',
      status: 'warn',
      summary: `The certificate of ${host} expires in ${daysLeft} day(s), on ${info.notAfter.toISOString().slice(0, 10)}.`,
      detail,
      remedy: 'Renewal should have happened by now: look at the renewal error on this domain, or re-issue.',
    };
  }
  return pass(
    'certificate',
    `Valid until ${info.notAfter.toISOString().slice(0, 10)} (${daysLeft} days), issued by ${info.issuer}.`,
    detail,
  );
}

/** Keeps every TXT value DNS gave, for the record table's "found" column. */
function withTxt(verdict: CheckVerdict, txt: Lookup<string[]>): CheckVerdict {
  return txt.ok ? { ...verdict, observed: { TXT: txt.value } } : verdict;
}

/** 4. Exactly one valid `v=STSv1` record at `_mta-sts.<d>`, with the served policy's id. */
export function checkPolicyRecord(
  domain: DomainName,
  txt: Lookup<string[]>,
  servedId: string | undefined,
): CheckVerdict {
  return withTxt(judgePolicyRecord(domain, txt, servedId), txt);
}

function judgePolicyRecord(domain: DomainName, txt: Lookup<string[]>, servedId: string | undefined): CheckVerdict {
  const name = domain.policyRecordName;
  const want = servedId ? policyIndicatorValue(servedId) : undefined;
  if (!txt.ok) {
    return {
      check: 'policy-record',
      status: 'fail',
      summary: `The TXT look-up of ${name} failed: ${txt.error}.`,
      detail: '',
      remedy: 'Check the DNS servers of the domain.',
    };
  }
  const reading = readStsRecords(txt.value);
  const found = reading.candidates.length
    ? `Found: ${reading.candidates.map((c) => `"${c}"`).join(', ')}.`
    : 'Found no v=STSv1 record.';
  if (reading.problem) {
    return {
      check: 'policy-record',
      status: 'fail',
      summary: `${name}: ${reading.problem}.`,
      detail: found,
      remedy: want
        ? `Publish exactly one TXT record ${name} "${want}" and delete any other v=STSv1 record.`
        : 'Enable the domain first.',
    };
  }
  if (servedId && reading.id !== servedId) {
    return {
      check: 'policy-record',
      status: 'fail',
      summary: `${name} announces id ${reading.id}, but the served policy has id ${servedId}.`,
      detail: found,
      remedy: `Change the TXT record ${name} to "${want}". Senders keep using their cached policy until the id changes.`,
    };
  }
  return pass('policy-record', `${name} announces the served policy (id ${reading.id}).`, found);
}

/** 5. One valid `v=TLSRPTv1` record with at least one `rua`; a different address only warns. */
export function checkTlsRpt(domain: DomainName, txt: Lookup<string[]>, expectedRua: string): CheckVerdict {
  return withTxt(judgeTlsRpt(domain, txt, expectedRua), txt);
}

function judgeTlsRpt(domain: DomainName, txt: Lookup<string[]>, expectedRua: string): CheckVerdict {
  const name = domain.tlsRptRecordName;
  const want = `v=TLSRPTv1; rua=${expectedRua}`;
  if (!txt.ok) {
    return {
      check: 'tls-rpt',
      status: 'warn',
      summary: `The TXT look-up of ${name} failed: ${txt.error}.`,
      detail: '',
      remedy: 'Check the DNS servers of the domain.',
    };
  }
  const reading = readTlsRptRecords(txt.value);
  const found = reading.candidates.length
    ? `Found: ${reading.candidates.map((c) => `"${c}"`).join(', ')}.`
    : 'Found no v=TLSRPTv1 record.';
  if (reading.problem) {
    return {
      check: 'tls-rpt',
      status: 'warn',
      summary: `${name}: ${reading.problem}; senders will not report TLS failures.`,
      detail: found,
      remedy: `Publish the TXT record ${name} "${want}".`,
    };
  }
  const expected = expectedRua.split(',').map((uri) => uri.trim().toLowerCase());
  const actual = (reading.rua ?? []).map((uri) => uri.toLowerCase());
  if (expected.join(',') !== actual.join(',')) {
    return {
      check: 'tls-rpt',
      status: 'warn',
      summary: `${name} sends reports to ${reading.rua?.join(', ')}, not to ${expectedRua}.`,
      detail: found,
      remedy: `If that is not intended, change the record to "${want}".`,
    };
  }
  return pass('tls-rpt', `TLS reports go to ${expectedRua}.`, found);
}

/** 6. Every live MX host matches an `mx` pattern of the served policy. */
export function checkMxCoverage(
  domain: DomainName,
  liveMx: Lookup<string[]>,
  servedPatterns: readonly string[],
  mode: PolicyMode,
): CheckVerdict {
  if (!liveMx.ok) {
    return {
      check: 'mx-coverage',
      status: 'warn',
      summary: `The MX look-up of ${domain.ascii} failed: ${liveMx.error}.`,
      detail: '',
      remedy: 'Check the DNS servers of the domain.',
    };
  }
  const uncovered = liveMx.value.filter((host) => !servedPatterns.some((pattern) => mxMatches(pattern, host)));
  const detail = `MX: ${liveMx.value.join(', ') || 'none'}; policy mx: ${servedPatterns.join(', ') || 'none'}.`;
  if (uncovered.length === 0) return pass('mx-coverage', 'Every MX host is listed in the policy.', detail);
  const enforcing = mode === 'enforce';
  return {
    check: 'mx-coverage',
    status: enforcing ? 'fail' : 'warn',
    summary: `${uncovered.join(', ')} ${uncovered.length === 1 ? 'is' : 'are'} not covered by the policy${enforcing ? ': senders enforcing MTA-STS will not deliver there' : ''}.`,
    detail,
    remedy: 'Use Refresh MX to rebuild the mx lines from the live MX records, then update the _mta-sts TXT id.',
  };
}

/** Days before an MX certificate's expiry at which the probe warns. */
export const MX_CERTIFICATE_WARN_DAYS = 14;

/**
 * 7. Every live MX host passes what a sender enforcing the policy requires (RFC 8461
 * §4.2): STARTTLS, TLS 1.2+, a trusted certificate valid for the MX host name, not
 * expired. Failing hosts only warn in testing (mail still flows) and fail in enforce.
 */
export function checkMxTls(
  domain: DomainName,
  liveMx: Lookup<string[]>,
  probes: readonly SmtpProbeResult[],
  mode: PolicyMode,
  now: Date,
): CheckVerdict {
  if (!liveMx.ok) {
    return {
      check: 'mx-tls',
      status: 'warn',
      summary: `The MX look-up of ${domain.ascii} failed: ${liveMx.error}.`,
      detail: '',
      remedy: 'Check the DNS servers of the domain.',
    };
  }
  const detail = probes.map((probe) => `${probe.ok ? '✓' : '✗'} ${probe.summary}`).join('\n');
  const failing = probes.filter((probe) => !probe.ok);
  if (failing.length > 0) {
    const enforcing = mode === 'enforce';
    return {
      check: 'mx-tls',
      status: enforcing ? 'fail' : 'warn',
      // One sentence per host: a probe's summary is a clause without a full stop.
      summary: `${failing.map((probe) => asSentence(probe.summary)).join(' ')}${enforcing ? ' Senders enforcing MTA-STS will not deliver there.' : ''}`,
      detail,
      remedy:
        'Fix the TLS set-up of the mail server named above (STARTTLS on port 25 with a certificate from a public CA for that exact host name), then run the checks again.',
    };
  }
  const expiring = probes.flatMap((probe) =>
    probe.addresses
      .filter((address) => address.certificateNotAfter)
      .map((address) => ({ host: probe.host, notAfter: address.certificateNotAfter! }))
      .filter(({ notAfter }) => notAfter.getTime() - now.getTime() < MX_CERTIFICATE_WARN_DAYS * 86_400_000),
  );
  if (expiring.length > 0) {
    const first = expiring[0];
    return {
      check: 'mx-tls',
      status: 'warn',
      summary: `The certificate of MX host ${first.host} expires on ${first.notAfter.toISOString().slice(0, 10)}.`,
      detail,
      remedy: `Renew the certificate of ${first.host} on the mail server: under enforce, senders refuse it once it has expired.`,
    };
  }
  const hosts = probes.map((probe) => probe.host);
  return pass(
    'mx-tls',
    hosts.length === 1
      ? `${hosts[0]} offers STARTTLS with a valid certificate.`
      : `All ${hosts.length} MX hosts offer STARTTLS with a valid certificate.`,
    detail,
  );
}

/** A clause as a sentence of its own: ends with a full stop. */
function asSentence(clause: string): string {
  const trimmed = clause.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

export const BADGES = ['active', 'verifying', 'retiring', 'error', 'inactive'] as const;
export type Badge = (typeof BADGES)[number];

/** How long after Enable (or a policy change) failing DNS-visibility checks count as "still propagating". */
export const VERIFY_GRACE_MS = 48 * 3_600_000;

/**
 * The domain's badge: Inactive when not serving, Retiring while `mode: none` drains,
 * Error for a failed provisioning or any failed check after the grace period, Verifying
 * while provisioning or while only DNS visibility fails shortly after Enable or a policy
 * change (`graceFrom`), Active otherwise.
 */
export function domainBadge(
  state: DomainState,
  results: readonly Pick<CheckResult, 'check' | 'status'>[],
  graceFrom: Date | null,
  now: Date,
): Badge {
  if (state === 'inactive' || state === 'removed') return 'inactive';
  if (state === 'error') return 'error';
  if (state === 'provisioning') return 'verifying';
  if (state === 'retiring') return 'retiring';
  const failing = results.filter((result) => result.status === 'fail');
  if (failing.length === 0) return 'active';
  const inGrace = graceFrom !== null && now.getTime() - graceFrom.getTime() < VERIFY_GRACE_MS;
  if (inGrace && failing.every((result) => DNS_VISIBILITY_CHECKS.includes(result.check))) return 'verifying';
  return 'error';
}

/** The start of the DNS grace period: the later of Enable and the last policy change. */
export function graceStart(domain: {
  readonly enabledAt: Date | null;
  readonly policyPublishedAt?: Date | null;
}): Date | null {
  const times = [domain.enabledAt, domain.policyPublishedAt ?? null]
    .filter((time): time is Date => time !== null)
    .map((time) => new Date(time).getTime());
  return times.length ? new Date(Math.max(...times)) : null;
}
