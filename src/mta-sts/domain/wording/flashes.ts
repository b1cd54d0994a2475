import { idChangedFlashTail } from './policy-record';

/** What the pages say after an action, in one flash each. */

/** After a policy change: the id to publish, or that nothing changed. */
function publishTail(change: { newId: string | null; policyChanged: boolean }): string {
  if (change.newId) return idChangedFlashTail(change.newId);
  return change.policyChanged ? '' : ' Nothing changed, so there is nothing to publish.';
}

type Change = Parameters<typeof publishTail>[0];

export const flashes = {
  added: (displayName: string) => `${displayName} was added. Publish the DNS records below, then Enable.`,
  retirementCancelled: (maxAge: number, newId: string | null) =>
    `The retirement is cancelled; the policy is back in testing mode with max_age ${maxAge} seconds.${publishTail({ newId, policyChanged: true })}`,
  enabling: 'Enabling: the steps run in the background and this card follows them.',
  alreadyActive: 'This domain is already active.',
  retiring: (note: string) => `Retiring. ${note}`,
  removedNow: (records: readonly { name: string; type: string }[], note: string) =>
    `The policy is no longer served. Now delete these DNS records: ${records.map((record) => `${record.name} ${record.type}`).join(', ')}. ${note}`,
  promoted: (change: Change) => `The policy is now in enforce mode.${publishTail(change)}`,
  reverted: (change: Change) => `The policy is back in testing mode.${publishTail(change)}`,
  maxAge: (maxAge: number, change: Change) => `max_age is now ${maxAge} seconds.${publishTail(change)}`,
  mxFollowed: (mx: readonly string[], change: Change) =>
    `The mx lines now follow the live MX records (${mx.join(', ')}).${publishTail(change)}`,
  mxAlreadyMatch: (mx: readonly string[]) => `The mx lines already match the live MX records (${mx.join(', ')}).`,
  checksRan: (failing: number) => (failing ? `Checks ran: ${failing} failing.` : 'Checks ran: nothing is failing.'),
  reissued: (remaining: number) => `A new certificate is installed. ${remaining} re-issue(s) left this week.`,
  reissueFailed: (remaining: number) =>
    `The re-issue failed; the current certificate keeps serving. See Renewal below. ${remaining} re-issue(s) left this week.`,
  deleted: (domain: string) => `${domain} was deleted from the panel.`,
  unexpected: 'Something unexpected went wrong; the details are in the panel’s log.',
};
