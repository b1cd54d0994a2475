import type { NoticeText } from './notices';

/** What the panel says about TLS reports (RFC 8460) and policy fetches. */

/** What each failure result type means for this server, and what to do about it (RFC 8460 §4.3). */
const REMEDIES: Readonly<Record<string, string>> = {
  'starttls-not-supported':
    'Senders found an MX host that does not offer STARTTLS. Turn on STARTTLS in the mail server (Postfix: smtpd_tls_security_level = may, with a certificate) on every MX host.',
  'certificate-host-mismatch':
    "An MX host's certificate does not name the host senders connected to. Issue the mail server's certificate for every MX host name in the policy (the names in the MX records).",
  'certificate-expired':
    "An MX host's certificate had expired. Renew the mail server's certificate and make sure the renewal reloads the mail server.",
  'certificate-not-trusted':
    "Senders could not chain an MX host's certificate to a public root: a self-signed certificate, a private CA, or an intermediate missing from the chain. Serve a publicly trusted certificate with its full chain.",
  'validation-failure':
    'Senders could not validate the TLS session for another reason. Look at the failure examples (the reporter and the additional information) and at the mail server log at that time.',
  'tlsa-invalid': 'A TLSA record (DANE) did not match. Fix or remove the TLSA records of the MX hosts.',
  'dnssec-invalid': 'DNSSEC validation of the MX records failed for the sender. Check the DNSSEC chain of the zone.',
  'dane-required': 'The sender requires DANE and found no usable TLSA record.',
  'sts-policy-fetch-error':
    'Senders could not fetch the policy from https://mta-sts.<domain>/.well-known/mta-sts.txt. Run the checks: the policy host must resolve, answer on port 443 with a valid certificate, and serve the file.',
  'sts-policy-invalid':
    'Senders found the policy invalid. Run the checks; a policy edited by hand outside the panel is the usual cause.',
  'sts-webpki-invalid':
    "The policy host's certificate was not valid for senders (expired, wrong name, untrusted). Look at the Certificate section and re-issue it if needed.",
};

export const reportWords = {
  received: (reportId: string, organization: string, day: string) =>
    `TLS report ${reportId} from ${organization} for ${day}.`,
  /** What to do about a failure result type; a generic answer for a type not in RFC 8460. */
  remedy: (result: string) =>
    REMEDIES[result] ??
    `The reporter gave the result type "${result}", which RFC 8460 does not define. Look at the failure examples.`,
  /** Why Promote refuses while the reports of the last 14 days hold failures. */
  promotionBlocked: (failed: number, types: readonly string[]) =>
    `TLS reports of the last 14 days show ${failed} failed session${failed === 1 ? '' : 's'} (${types.join(', ')}). Fix what the Reports section says, or promote anyway and confirm that you accept the risk.`,
  /** The trail's note on a promotion that overrode failing reports. */
  promotedDespiteReports: (failed: number, types: readonly string[]) =>
    `Promoted despite ${failed} failed session${failed === 1 ? '' : 's'} in the TLS reports of the last 14 days (${types.join(', ')}); the admin confirmed.`,

  noFetches: 'No sender fetched the policy in the last 7 days: it is too soon to promote.',
  noReports: 'No TLS report arrived in the last 14 days.',
};

/** Under enforce, a failure type the reports had not shown before: senders defer that mail now. */
export function newFailureTypeNotice(
  domain: string,
  result: string,
  sessions: number,
  organization: string,
  day: string,
): NoticeText {
  return {
    kind: 'report-failure',
    domain,
    subject: `${domain}: senders report ${result} failures under enforce`,
    text: `${organization} reports ${sessions} failed session${sessions === 1 ? '' : 's'} of type ${result} on ${day}, a type not reported for this domain in the last 90 days. The policy is in enforce mode, so senders that honour MTA-STS defer this mail. ${reportWords.remedy(result)}`,
    details: { result, sessions, organization, day },
  };
}
