import type { Badge } from '../badges';
import type { CheckResult } from '../check-verdicts';
import type { DomainName } from '../hostname';
import { publishPolicyIdSentence } from './policy-record';
import { readableTime } from './times';

/** The notices (mail and webhook) the notifier sends, each worded here. */

/** A notice as the notifier sends it (the time is added when it is sent). */
export interface NoticeText {
  readonly kind: string;
  readonly domain: string;
  readonly subject: string;
  readonly text: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

const BADGE_WORDS: Record<Badge, string> = {
  active: 'active',
  verifying: 'verifying',
  retiring: 'retiring',
  error: 'failing',
  inactive: 'inactive',
};

/** The badge moved: what it is now, and what fails with the fix for each. */
export function badgeChangedNotice(
  domain: string,
  before: Badge,
  after: Badge,
  results: readonly Pick<CheckResult, 'check' | 'status' | 'summary' | 'remedy'>[],
): NoticeText {
  const failing = results.filter((result) => result.status === 'fail');
  const lines = failing.map((result) => `- ${result.summary}${result.remedy ? ` ${result.remedy}` : ''}`);
  return {
    kind: 'badge-changed',
    domain,
    subject: `${domain}: MTA-STS is now ${BADGE_WORDS[after]} (was ${BADGE_WORDS[before]})`,
    text: lines.length ? `Failing checks:\n${lines.join('\n')}` : `Every check passes.`,
    details: { before, after, failing: failing.map((result) => result.check) },
  };
}

/** Under enforce, a check that warns now (a certificate close to expiry, an MX host's TLS) fails soon. */
export function tlsWarningNotice(domain: string, warn: { check: string; status: string; summary: string }): NoticeText {
  return {
    kind: 'tls-warning',
    domain,
    subject: `${domain}: ${warn.summary}`,
    text: `${warn.summary}\n\nThe domain is in enforce mode: senders refuse delivery once this fails.`,
    details: { check: warn.check, status: warn.status },
  };
}

/** Retirement finished: the host is gone; the records to delete, in order. */
export function retiredNotice(
  domain: string,
  records: readonly { readonly name: string; readonly type: string; readonly value: string }[],
  note: string,
): NoticeText {
  return {
    kind: 'retired',
    domain,
    subject: `${domain}: MTA-STS retirement finished`,
    text:
      `The policy host of ${domain} was removed: no sender can still hold a policy for it.\n\n` +
      `Now delete these DNS records:\n${records.map((record) => `- ${record.name} ${record.type} ${record.value}`).join('\n')}\n\n${note}`,
    details: { records },
  };
}

/** The MX watch changed the policy; the new id to publish when it is served under one. */
export function mxChangedNotice(
  name: DomainName,
  detail: string,
  newId: string | null,
  details: { readonly mx: readonly string[]; readonly drop: unknown },
): NoticeText {
  return {
    kind: 'mx-changed',
    domain: name.ascii,
    subject: `${name.ascii}: the MX records changed, the policy followed`,
    text: `${detail}\n\n${newId ? publishPolicyIdSentence(name, newId) : ''}`,
    details: { ...details, policyId: newId },
  };
}

/** The enforce guard went back to testing: why, and the id to publish. */
export function downgradedNotice(name: DomainName, risks: readonly string[], newId: string): NoticeText {
  return {
    kind: 'downgraded',
    domain: name.ascii,
    subject: `${name.ascii}: reverted to testing mode automatically`,
    text:
      `MTA-STS for ${name.ascii} went back to testing mode because: ${risks.join(' ')}\n\n` +
      `${publishPolicyIdSentence(name, newId)} Promote again once the checks pass.`,
    details: { risks, policyId: newId },
  };
}

/** The first failure of a run of renewal failures: why, until when the current certificate serves, the next attempt. */
export function renewalFailedNotice(
  name: DomainName,
  message: string,
  certNotAfter: Date | null,
  next: Date,
  failures: number,
): NoticeText {
  return {
    kind: 'renewal-failed',
    domain: name.ascii,
    subject: `${name.ascii}: certificate renewal failed`,
    text:
      `Renewing the certificate of ${name.policyHost} failed: ${message}\n\n` +
      `The current certificate keeps serving until ${certNotAfter ? readableTime(certNotAfter) : 'it expires'}. ` +
      `The next attempt is at ${readableTime(next)}.`,
    details: { failures, nextAttemptAt: next.toISOString() },
  };
}
