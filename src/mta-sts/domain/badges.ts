/** A domain's badge on the card, from its state and its latest check results. */
import type { DomainState } from './domain-state';
import { CheckResult, DNS_VISIBILITY_CHECKS } from './check-verdicts';

export const BADGES = ['active', 'verifying', 'retiring', 'error', 'inactive'] as const;
export type Badge = (typeof BADGES)[number];

/** How long after Enable (or a policy change) failing DNS-visibility checks count as "still propagating". */
export const VERIFY_GRACE_MS = 48 * 3_600_000;

/**
 * The domain's badge: Inactive when not serving, Retiring while `mode: none` drains,
 * Error for a failed provisioning or any failed check after the grace period, Verifying
 * while provisioning or while only DNS visibility fails shortly after Enable or a policy
 * change (`graceFrom`), Active otherwise.
 */
export function domainBadge(
  state: DomainState,
  results: readonly Pick<CheckResult, 'check' | 'status'>[],
  graceFrom: Date | null,
  now: Date,
): Badge {
  if (state === 'inactive' || state === 'removed') return 'inactive';
  if (state === 'error') return 'error';
  if (state === 'provisioning') return 'verifying';
  if (state === 'retiring') return 'retiring';
  const failing = results.filter((result) => result.status === 'fail');
  if (failing.length === 0) return 'active';
  const inGrace = graceFrom !== null && now.getTime() - graceFrom.getTime() < VERIFY_GRACE_MS;
  if (inGrace && failing.every((result) => DNS_VISIBILITY_CHECKS.includes(result.check))) return 'verifying';
  return 'error';
}

/** The start of the DNS grace period: the later of Enable and the last policy change. */
export function graceStart(domain: {
  readonly enabledAt: Date | null;
  readonly policyPublishedAt?: Date | null;
}): Date | null {
  const times = [domain.enabledAt, domain.policyPublishedAt ?? null]
    .filter((time): time is Date => time !== null)
    .map((time) => new Date(time).getTime());
  return times.length ? new Date(Math.max(...times)) : null;
}
