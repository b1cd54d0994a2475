import type { DomainState } from '../domain-state';
import { readableTime } from './times';

/** The trail's words for lifecycle steps, and the reasons an action is refused in a state. */

export function enableStartedDetail(mode: string, maxAge: number): string {
  return `Enable started (mode ${mode}, max_age ${maxAge}).`;
}

export function removedAtOnceDetail(cachedUntil: Date | null): string {
  return cachedUntil
    ? `Removed at once; senders may apply a cached policy until ${readableTime(cachedUntil)}.`
    : 'Removed at once.';
}

export const refusals = {
  retireWhileProvisioning: (domain: string) => `${domain} is being provisioned; wait until it is active or failed.`,
  retireNothingServed: (domain: string) =>
    `${domain} does not serve a policy, so there is nothing to retire; use Remove now.`,
  deleteWhile: (domain: string, state: DomainState) => `${domain} is ${state}; disable it first, then delete it.`,
  removeNowWhileProvisioning: (domain: string) =>
    `${domain} is being provisioned; wait until it is active or failed, then remove it.`,
  changeWhileProvisioning: (domain: string) =>
    `${domain} is being provisioned; change its policy once that has finished.`,
  reissueWhile: (domain: string, state: DomainState) =>
    `${domain} is ${state}; only an active domain's certificate can be re-issued.`,
  changeWhileRetiring: (domain: string) =>
    `${domain} is retiring and serves mode none; Enable it again to cancel the retirement first.`,
};

/** The trail's entries (and the log's details) for what happened to a domain. */
export const trail = {
  added: 'Added to the panel.',
  deleted: 'Deleted from the panel.',
  active: (id: string, policyHost: string) =>
    `Active: policy ${id} served at https://${policyHost}/.well-known/mta-sts.txt`,
  mode: (before: string, after: string) => `Mode ${before} → ${after}.`,
  maxAge: (before: number, after: number) => `max_age ${before} → ${after} seconds.`,
  mxRefreshed: 'mx lines rebuilt from the live MX records.',
  mxDropScheduled: (hosts: readonly string[], after: string) =>
    `${hosts.join(', ')} left the MX records; they stay in the enforce policy until ${after}.`,
  mxFollowed: (
    kind: 'follow' | 'widen' | 'narrow',
    mx: readonly string[],
    drop: { readonly hosts: readonly string[]; readonly after: string } | null,
  ) =>
    kind === 'follow'
      ? `The MX records changed; the testing policy now lists ${mx.join(', ')}.`
      : kind === 'widen'
        ? `The MX records changed; the enforce policy now lists ${mx.join(', ')}${drop ? ` (${drop.hosts.join(', ')} stay until ${drop.after})` : ''}.`
        : `The old MX hosts' time has passed; the enforce policy now lists ${mx.join(', ')}.`,
  downgraded: (risks: readonly string[]) => `Reverted to testing automatically: ${risks.join(' ')}`,
  retiring: (until: Date) =>
    `Retiring: mode none is served until ${readableTime(until)}, then the policy host is removed.`,
  retirementCancelled: (maxAge: number) =>
    `Retirement cancelled; the policy is back in testing mode with max_age ${maxAge} seconds.`,
  reissued: 'Certificate re-issued.',
  reissueFailed: 'Certificate re-issue failed; the old one keeps serving.',
  retired: 'Retirement finished: every cached policy has expired; the policy host was removed.',
  renewed: (policyHost: string, notAfter: Date) =>
    `Renewed the certificate of ${policyHost}; valid until ${notAfter.toISOString()}.`,
  renewalFailed: (policyHost: string, failures: number, next: Date, message: string) =>
    `Renewing ${policyHost} failed (${failures} in a row), the current certificate keeps serving; next attempt ${next.toISOString()}: ${message}`,
};
