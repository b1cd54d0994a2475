import { policyIndicatorValue } from '../dns-records';
import type { DomainName } from '../hostname';

/**
 * What an admin is asked to publish at `_mta-sts.<domain>`, worded here alone so the card,
 * the flashes, the API notes and the notices ask for it the same way (RFC 8461 §8.1: the
 * record follows the policy, never precedes it).
 */

/** `_mta-sts.example.com TXT "v=STSv1; id=…"`: the record and its value. */
export function policyRecordToPublish(recordName: string, id: string): string {
  return `${recordName} TXT "${policyIndicatorValue(id)}"`;
}

const FETCH_NEW = 'so senders fetch the new policy.';

/** The sentence of the API notes and the notices. */
export function publishPolicyIdSentence(name: DomainName, id: string): string {
  return `Publish ${policyRecordToPublish(name.policyRecordName, id)} ${FETCH_NEW}`;
}

/** The card's alert while a served id is not yet seen in DNS. */
export function idNotVisibleAlert(name: DomainName, id: string): string {
  return `New policy id ${id} not yet visible in DNS: publish ${policyRecordToPublish(name.policyRecordName, id)} ${FETCH_NEW}`;
}

/** The tail of a flash after a change that minted an id. */
export function idChangedFlashTail(id: string): string {
  return ` The policy id is now ${id}: publish ${policyRecordToPublish('_mta-sts', id)} ${FETCH_NEW}`;
}

/** Retiring: the `mode: none` policy is served under a new id, to publish at once. */
export function publishRetirementIdSentence(name: DomainName, id: string): string {
  return `Publish ${policyRecordToPublish(name.policyRecordName, id)} now, so senders fetch mode none.`;
}

/** The card's reminder while retiring and the `mode: none` id is not yet seen. */
export function publishNowSentence(name: DomainName, id: string): string {
  return `Publish ${policyRecordToPublish(name.policyRecordName, id)} now.`;
}

/** The trail's entry when a check first sees the served id. */
export function idVisibleDetail(id: string | null): string {
  return id
    ? `The _mta-sts TXT record now announces id ${id}.`
    : 'The _mta-sts TXT record now announces the served id.';
}

/** The trail's entry when the panel published the id and every authoritative server answers it. */
export function idAnsweredDetail(id: string, servers: readonly string[]): string {
  return `Published id ${id}; every authoritative server answers it (${servers.join(', ')}).`;
}
