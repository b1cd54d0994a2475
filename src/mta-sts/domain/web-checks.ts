/** The checks of what a sender fetches: the policy host's addresses, its HTTPS answer and its certificate. */
import { certificateCoversHost, CertificateInfo } from './certificate';
import { readableTime } from './wording/times';
import { ServerAddresses, addressList, canonicalIp } from './dns-records';
import { DomainName } from './hostname';
import { parsePolicy } from './policy-parser';
import { CheckVerdict, Lookup, pass } from './check-verdicts';

/**
 * 1. Every A/AAAA answer for `mta-sts.<d>` is this server (or one of the nodes), and each
 * configured family is there. With several nodes, a node whose address is not published
 * is only a warning: the others serve, but that node takes no part.
 */
export function checkAddresses(
  domain: DomainName,
  expected: ServerAddresses,
  seen: { readonly a: Lookup<string[]>; readonly aaaa: Lookup<string[]>; readonly cname?: Lookup<string[]> },
): CheckVerdict {
  const host = domain.policyHost;
  // Through a CNAME (delegated hosting) the addresses are the target's.
  const alias = seen.cname?.ok ? seen.cname.value[0] : undefined;
  const problems: string[] = [];
  const remedies: string[] = [];
  const families = [
    ['A', addressList(expected.ipv4), seen.a],
    ['AAAA', addressList(expected.ipv6), seen.aaaa],
  ] as const;
  const observed: string[] = [];
  const unpublished: string[] = [];
  for (const [type, want, answer] of families) {
    if (!answer.ok) {
      problems.push(`the ${type} look-up failed (${answer.error})`);
      remedies.push(`Check that the DNS servers for ${domain.ascii} answer for ${host}.`);
      continue;
    }
    observed.push(`${type}: ${answer.value.length ? answer.value.join(', ') : 'none'}`);
    const wanted = new Set(want.map(canonicalIp));
    const seenSet = new Set(answer.value.map(canonicalIp));
    const strangers = answer.value.filter((address) => !wanted.has(canonicalIp(address)));
    const wantText = want.join(', ');
    if (want.length > 0 && answer.value.length === 0) {
      problems.push(`no ${type} record`);
      remedies.push(`Publish ${host} ${type} ${wantText}.`);
    } else if (strangers.length > 0) {
      problems.push(`${type} ${strangers.join(', ')} is not this server${want.length ? ` (${wantText})` : ''}`);
      remedies.push(
        want.length
          ? `Change ${host} ${type} to ${wantText} only.`
          : `Remove the ${type} record of ${host}, or configure this server's IPv${type === 'A' ? 4 : 6} address.`,
      );
    } else {
      unpublished.push(...want.filter((address) => !seenSet.has(canonicalIp(address))));
    }
  }
  const expectedText = [...addressList(expected.ipv4), ...addressList(expected.ipv6)].join(' and ');
  const detail = `Seen ${observed.join('; ') || 'nothing'}; expected ${expectedText}.`;
  const answers = {
    ...(seen.a.ok ? { A: seen.a.value } : {}),
    ...(seen.aaaa.ok ? { AAAA: seen.aaaa.value } : {}),
    ...(alias ? { CNAME: [alias] } : {}),
  };
  if (problems.length === 0 && unpublished.length > 0) {
    return {
      check: 'dns',
      status: 'warn',
      summary: `${host} does not point at ${unpublished.join(', ')}: that node serves no sender.`,
      detail,
      remedy: `Add ${unpublished.join(', ')} to ${host}, or remove that node from the cluster (DELETE /api/nodes/<name>) if it is gone.`,
      observed: answers,
    };
  }
  if (problems.length === 0) {
    const summary = alias ? `${host} points at this server, delegated to ${alias}.` : `${host} points at this server.`;
    return { ...pass('dns', summary, detail), observed: answers };
  }
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
