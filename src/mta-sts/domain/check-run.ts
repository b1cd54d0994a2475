import type { DomainRecord } from './domain-record';
import { Badge, domainBadge, graceStart } from './badges';
import type { CheckResult, CheckStatus } from './check-verdicts';
import { DomainState, isChanging } from './domain-state';
import type { AuditEntry, Transition } from './transitions';
import { idAnsweredDetail, idVisibleDetail } from './wording/policy-record';

/**
 * What a run of the readiness checks changes for a domain. The checks observe and report;
 * this decides: the badge, whether the served id is now visible in DNS (RFC 8461 §8.1), and
 * the end of a change once it is.
 */

const TLS_RISK_CHECKS: readonly string[] = ['certificate', 'mx-tls'];

/** What a run of the checks means for a domain. */
export interface CheckRunOutcome {
  readonly badge: Badge;
  /** The served id is now announced in DNS (§8.1): recorded, with `idVisibleAudit`. */
  readonly idVisible: boolean;
  /** The trail's entry for `idVisible`. */
  readonly idVisibleAudit?: AuditEntry;
  /** The state after the run: a `changing` domain whose id DNS now shows is `active` again. */
  readonly state: DomainState;
  /** The run ended a change (`changing` to `active`). */
  readonly completesChange: boolean;
  /** The state change to apply with the results, when `completesChange` (compare-and-set on `from`). */
  readonly stateChange?: Transition;
  /** Status changes to a warning that, under enforce, means mail may soon bounce. */
  readonly tlsWarnings: readonly { readonly check: string; readonly status: CheckStatus; readonly summary: string }[];
}

/** DNS shows the served id: the change is complete. */
const CHANGE_COMPLETED: Transition = { from: ['changing'], patch: { state: 'active' } };

/**
 * Decides what a run of the checks changes: the badge, and whether the served id is now
 * visible in DNS, which ends a change (`changing` to `active`). Results judged against an
 * id that has since been replaced (`checkedId`) say nothing about the new one.
 */
export function afterCheckRun(
  domain: Pick<
    DomainRecord,
    'state' | 'mode' | 'servedPolicyId' | 'policyVisibleAt' | 'enabledAt' | 'policyPublishedAt'
  >,
  results: readonly CheckResult[],
  checkedId: string | null,
  changed: readonly { readonly check: string; readonly status: CheckStatus; readonly summary: string }[],
  ranAt: Date,
): CheckRunOutcome {
  const announced = results.some((result) => result.check === 'policy-record' && result.status === 'pass');
  const current = checkedId === domain.servedPolicyId;
  const idVisible = announced && current && domain.servedPolicyId !== null && !domain.policyVisibleAt;
  const completesChange = idVisible && isChanging(domain.state);
  const state: DomainState = completesChange ? 'active' : domain.state;
  return {
    badge: domainBadge(state, results, graceStart(domain), ranAt),
    idVisible,
    ...(idVisible && {
      idVisibleAudit: {
        action: 'id-visible',
        actor: 'system',
        policyIdBefore: domain.servedPolicyId,
        policyIdAfter: domain.servedPolicyId,
        detail: idVisibleDetail(domain.servedPolicyId),
      },
    }),
    state,
    completesChange,
    ...(completesChange && { stateChange: CHANGE_COMPLETED }),
    tlsWarnings:
      domain.mode === 'enforce'
        ? changed.filter((event) => event.status === 'warn' && TLS_RISK_CHECKS.includes(event.check))
        : [],
  };
}

/**
 * The panel published the served id and every authoritative server of the zone answers
 * it (RFC 8461 §8.1): the id is visible, and a change is complete. Nothing when the id
 * was replaced meanwhile or was already seen.
 */
export function idAnnounced(
  domain: Pick<DomainRecord, 'state' | 'servedPolicyId' | 'policyVisibleAt'>,
  id: string,
  servers: readonly string[],
  now: Date,
): Transition | undefined {
  if (domain.servedPolicyId !== id || domain.policyVisibleAt) return undefined;
  return {
    from: [domain.state],
    patch: { policyVisibleAt: now, ...(isChanging(domain.state) && CHANGE_COMPLETED.patch) },
    audit: {
      action: 'id-visible',
      actor: 'system',
      policyIdBefore: id,
      policyIdAfter: id,
      detail: idAnsweredDetail(id, servers),
    },
  };
}
