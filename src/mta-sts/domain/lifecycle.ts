import type { CheckId, CheckStatus } from './checks';
import { CHECK_TITLES } from './checks';
import type { PolicyMode } from './policy';

/**
 * The rules for changing a policy that senders have cached (RFC 8461 §8.1, §8.3 and
 * section 5 of the facts sheet). Senders keep applying a cached policy for `max_age`
 * seconds even when our DNS or HTTPS is gone, so every rule here is about not leaving a
 * sender with a cached policy that no longer matches the mail servers.
 */

/** `max_age` of the `mode: none` policy served while retiring: short, senders forget it soon. */
export const RETIRE_MAX_AGE = 86_400;

/** TTL assumed for the `_mta-sts` TXT record when the admin has not said otherwise. */
export const DEFAULT_TXT_TTL_SECONDS = 3_600;

/**
 * When a retiring domain's policy host may go (§8.3): every sender that cached an earlier
 * policy has let it expire once the largest `max_age` ever served has passed since that
 * policy was last served (the moment retirement started), plus the TXT record's TTL for
 * senders that saw the old id late.
 */
export function retirementDeadline(startedAt: Date, largestMaxAgeServed: number, txtTtlSeconds: number): Date {
  return new Date(startedAt.getTime() + (largestMaxAgeServed + txtTtlSeconds) * 1000);
}

/** How long senders may still hold a cached policy if the host disappears now. */
export function cachedUntil(lastServedAt: Date, largestMaxAgeServed: number): Date {
  return new Date(lastServedAt.getTime() + largestMaxAgeServed * 1000);
}

/** `1 day 3 h`, `5 h 20 min`, `12 min`: a countdown for the card and messages. */
export function describeDuration(ms: number): string {
  const minutes = Math.max(0, Math.ceil(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return `${days} day${days === 1 ? '' : 's'}${hours ? ` ${hours} h` : ''}`;
  if (hours > 0) return `${hours} h${mins ? ` ${mins} min` : ''}`;
  return `${mins} min`;
}

/** Checks whose warning does not stop a promotion: TLS reporting is optional (RFC 8460). */
const WARN_ALLOWED_FOR_PROMOTION: readonly CheckId[] = ['tls-rpt'];

/**
 * Why a domain may not go to `enforce` yet, one sentence per reason; empty when it may.
 * Enforce makes senders refuse delivery when TLS to an MX cannot be validated, so every
 * readiness check must pass, including coverage of every live MX and the STARTTLS probe
 * of every MX host.
 */
export function promotionBlockers(
  results: readonly { readonly check: CheckId; readonly status: CheckStatus; readonly summary: string }[],
  required: readonly CheckId[],
): string[] {
  const blockers: string[] = [];
  for (const id of required) {
    const result = results.find((candidate) => candidate.check === id);
    if (!result) {
      blockers.push(`${CHECK_TITLES[id]}: not checked yet.`);
    } else if (result.status === 'fail' || (result.status === 'warn' && !WARN_ALLOWED_FOR_PROMOTION.includes(id))) {
      blockers.push(`${CHECK_TITLES[id]}: ${result.summary}`);
    }
  }
  return blockers;
}

/** Old MX hosts kept in an enforce policy after the MX records moved away from them. */
export interface PendingMxDrop {
  readonly hosts: string[];
  /** ISO time after which the hosts may leave the policy. */
  readonly after: string;
}

export type MxTransition =
  /** Nothing to do. */
  | { readonly kind: 'none' }
  /** Testing: the policy follows the live MX records at once. */
  | { readonly kind: 'follow'; readonly mx: readonly string[] }
  /** Enforce: new hosts join the policy at once; old ones stay until `drop.after`. */
  | { readonly kind: 'widen'; readonly mx: readonly string[]; readonly drop: PendingMxDrop | null }
  /**
   * Enforce: old hosts are gone from DNS; remember when they may leave the policy, or
   * forget it (null) when they came back. No policy change.
   */
  | { readonly kind: 'schedule-drop'; readonly drop: PendingMxDrop | null }
  /** Enforce: the old hosts' time has passed; they leave the policy. */
  | { readonly kind: 'narrow'; readonly mx: readonly string[]; readonly drop: PendingMxDrop | null };

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/**
 * What the policy's `mx` lines should become now that DNS lists `live` (both as `mx:`
 * patterns). In testing mode the policy simply follows. In enforce mode an `mx` line is
 * never dropped on the spot: senders that cached the old policy would refuse the new MX,
 * and those fetching now must still accept the old one while it drains, so new hosts are
 * added at once and old ones leave only after the previous `max_age` has passed.
 */
export function mxTransition(
  mode: PolicyMode,
  served: readonly string[],
  live: readonly string[],
  pending: PendingMxDrop | null,
  maxAgeSeconds: number,
  now: Date,
): MxTransition {
  if (mode === 'none') return { kind: 'none' };
  const servedSet = new Set(served);
  const liveSet = new Set(live);
  if (mode === 'testing') {
    const same = servedSet.size === liveSet.size && [...liveSet].every((host) => servedSet.has(host));
    return same ? { kind: 'none' } : { kind: 'follow', mx: sorted(live) };
  }

  const added = [...liveSet].filter((host) => !servedSet.has(host));
  const gone = [...servedSet].filter((host) => !liveSet.has(host));
  const dropAfter = new Date(now.getTime() + maxAgeSeconds * 1000).toISOString();
  // Hosts that came back into DNS are no longer waiting to leave.
  const stillPending = pending ? pending.hosts.filter((host) => !liveSet.has(host)) : [];

  if (added.length > 0) {
    const drop = gone.length > 0 ? { hosts: sorted(gone), after: dropAfter } : null;
    return { kind: 'widen', mx: sorted([...served, ...live]), drop };
  }
  if (gone.length === 0) {
    return pending ? { kind: 'schedule-drop', drop: null } : { kind: 'none' };
  }
  const scheduled = pending !== null && gone.every((host) => stillPending.includes(host));
  if (!scheduled) return { kind: 'schedule-drop', drop: { hosts: sorted(gone), after: dropAfter } };
  if (now.getTime() < new Date(pending.after).getTime()) return { kind: 'none' };
  const remaining = served.filter((host) => !gone.includes(host));
  // Never an empty enforce policy: if DNS lists nothing we know, keep what is served.
  if (remaining.length === 0) return { kind: 'none' };
  return { kind: 'narrow', mx: sorted(remaining), drop: null };
}

/** The `mx` fields a transition sets on the domain (nothing for `none`). */
export function mxFieldsAfter(transition: MxTransition): { mx?: string[]; mxDrop?: PendingMxDrop | null } {
  switch (transition.kind) {
    case 'none':
      return {};
    case 'schedule-drop':
      return { mxDrop: transition.drop };
    case 'follow':
      return { mx: [...transition.mx], mxDrop: null };
    default:
      return { mx: [...transition.mx], mxDrop: transition.drop };
  }
}

/** Days before the policy host's certificate expiry at which failing renewals become an alert. */
export const CERTIFICATE_ALERT_DAYS = 7;

export interface EnforceRisk {
  /** Days left on the policy host's certificate. */
  readonly certificateDaysLeft: number | null;
  readonly renewalFailing: boolean;
  /** The STARTTLS probe's status and summary, when it ran. */
  readonly smtp?: { readonly status: CheckStatus; readonly summary: string };
}

/**
 * Certificate trouble that can bounce mail under enforce: the policy host's certificate
 * close to expiry with renewal failing, or an MX certificate that fails (or is about to
 * fail) the probe. One sentence per risk; empty when there is none.
 */
export function enforceRisks(risk: EnforceRisk): string[] {
  const risks: string[] = [];
  if (risk.renewalFailing && risk.certificateDaysLeft !== null && risk.certificateDaysLeft < CERTIFICATE_ALERT_DAYS) {
    risks.push(
      `The policy host's certificate expires in ${Math.max(0, risk.certificateDaysLeft)} day(s) and its renewal is failing.`,
    );
  }
  if (risk.smtp && risk.smtp.status !== 'pass') risks.push(`MX TLS: ${risk.smtp.summary}`);
  return risks;
}
