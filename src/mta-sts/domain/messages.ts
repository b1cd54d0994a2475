import { policyIndicatorValue } from './dns-records';
import { DomainName } from './hostname';

/**
 * Sentences an admin reads about the policy id, worded once so the card, the API and the
 * notices say the same thing the same way.
 */

/** Asks for the `_mta-sts` TXT record that announces `id` (RFC 8461 §8.1: after the policy is served). */
export function publishPolicyIdSentence(name: DomainName, id: string): string {
  return `Publish ${name.policyRecordName} TXT "${policyIndicatorValue(id)}" so senders fetch the new policy.`;
}

/**
 * A moment as admins read it in a sentence: `2026-12-03 08:32 UTC`. Pages show it in the
 * viewer's own time zone where they can, with the exact time in a tooltip.
 */
export function readableTime(at: Date | string): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
