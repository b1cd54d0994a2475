import type { DomainState } from '../domain-state';
import type { DomainName } from '../hostname';
import { describeDuration } from '../lifecycle';
import { publishPolicyIdSentence, publishRetirementIdSentence } from './policy-record';
import { readableTime } from './times';

/** The notes the API answers with and the pages repeat: what happened and what to do next. */

/** After a policy change: the id to publish, or why there is none. */
export function policyChangeNote(name: DomainName, change: { newId: string | null; policyChanged: boolean }): string {
  if (change.newId) {
    return `The policy changed and is served under the new id ${change.newId}. ${publishPolicyIdSentence(name, change.newId)}`;
  }
  return change.policyChanged
    ? 'The policy changed; it is served from the next Enable.'
    : 'Nothing changed: the policy and its id stay as they were.';
}

/** Retiring: the `mode: none` id to publish, and when the host goes. */
export function retirementNote(name: DomainName, id: string, until: Date, now: Date): string {
  return (
    `${publishRetirementIdSentence(name, id)} ` +
    `The policy host keeps serving until ${readableTime(until)} (in ${describeDuration(until.getTime() - now.getTime())}), ` +
    'when every policy senders may have cached has expired; then it is removed and the card lists the records to delete.'
  );
}

/** The host is gone: the order in which to delete the records. */
export function removedRecordsNote(name: DomainName): string {
  return (
    `Remove the ${name.policyRecordName} TXT record first, then the ${name.policyHost} address records. ` +
    `The ${name.tlsRptRecordName} TXT record may stay: TLS reports remain useful without MTA-STS.`
  );
}

/** Why a domain shows no check results. */
export function checksNote(state: DomainState): string {
  if (state === 'removed') return 'The checks stopped when the policy host was removed.';
  if (state === 'provisioning') return 'The checks run once Enable has finished.';
  return 'The checks run once the domain is enabled.';
}

/** Re-issue refused: three in seven days already. */
export function reissueLimitNote(name: DomainName, nextAllowedAt: Date): string {
  return `The certificate of ${name.ascii} was re-issued 3 times in the last 7 days; the next re-issue is allowed from ${readableTime(nextAllowedAt)}.`;
}

/** Remove now's confirmation: how long senders may still apply a cached policy (RFC 8461 §8.3). */
export function cachedPolicyWarning(cachedSeconds: number, until: Date): string {
  return `Senders may keep a cached policy for this domain for up to ${Math.round(cachedSeconds / 86_400)} day(s), until ${readableTime(until)}.`;
}
