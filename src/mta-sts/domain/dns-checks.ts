/** The checks of the DNS records a sender reads: the policy id, TLS reporting, the MX hosts and their TLS. */
import { policyIndicatorValue } from './dns-records';
import { DomainName } from './hostname';
import { mxMatches } from './policy-parser';
import { PolicyMode } from './policy';
import { readStsRecords, readTlsRptRecords } from './txt-records';
import type { SmtpProbeResult } from './smtp-probe';
import { CheckVerdict, Lookup, pass } from './check-verdicts';

function withTxt(verdict: CheckVerdict, txt: Lookup<string[]>): CheckVerdict {
  return txt.ok ? { ...verdict, observed: { TXT: txt.value } } : verdict;
}

/**
 * 4. Exactly one valid `v=STSv1` record at `_mta-sts.<d>`, with the served policy's id.
 * Through a CNAME (delegated hosting, RFC 8461 §8.2) it says where the record lives.
 */
export function checkPolicyRecord(
  domain: DomainName,
  txt: Lookup<string[]>,
  servedId: string | undefined,
  cname?: Lookup<string[]>,
): CheckVerdict {
  const verdict = withTxt(judgePolicyRecord(domain, txt, servedId), txt);
  const target = cname?.ok ? cname.value[0] : undefined;
  if (!target) return verdict;
  return {
    ...verdict,
    summary:
      verdict.status === 'pass' ? `${verdict.summary.replace(/\.$/, '')}, delegated to ${target}.` : verdict.summary,
    observed: { ...verdict.observed, CNAME: [target] },
  };
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
