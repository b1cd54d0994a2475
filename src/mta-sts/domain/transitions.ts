import type { DomainState, ProvisioningStep } from './domain-state';
import type { PolicyMode } from './policy';

/**
 * The lifecycle's state changes, each a pure function from the domain as it is and the
 * facts to the change to write: the columns, the states the decision was made in (the
 * store writes nothing when the row has left them meanwhile), and the audit entry. The
 * services gather facts and do the work outside the database; the decisions are here.
 */

/** The columns of a domain a transition reads. */
export interface DomainSnapshot {
  readonly name: string;
  readonly state: DomainState;
  readonly mode: PolicyMode;
  readonly maxAge: number;
  readonly servedPolicyId: string | null;
  readonly policyVisibleAt: Date | null;
  readonly largestMaxAgeServed: number | null;
}

/** The columns a transition may write. */
export interface LifecyclePatch {
  readonly state?: DomainState;
  readonly step?: ProvisioningStep | null;
  readonly errorStep?: string | null;
  readonly errorMessage?: string | null;
  readonly removedAt?: Date | null;
  readonly enabledAt?: Date;
  readonly policyPublishedAt?: Date;
  readonly policyVisibleAt?: Date | null;
  readonly largestMaxAgeServed?: number;
}

/** An entry of the audit trail, written in the same transaction as the change. */
export interface AuditEntry {
  readonly action: string;
  readonly actor: string;
  readonly policyIdBefore?: string | null;
  readonly policyIdAfter?: string | null;
  readonly detail: string;
}

export interface Transition {
  /** The states the decision was made in; the store refuses the write in any other. */
  readonly from: readonly DomainState[];
  readonly patch: LifecyclePatch;
  readonly audit?: AuditEntry;
}

/** What Enable does with a domain in its current state. */
export type EnableDecision = 'cancel-retirement' | 'already-serving' | 'start';

export function enableDecision(state: DomainState): EnableDecision {
  if (state === 'retiring') return 'cancel-retirement';
  if (state === 'provisioning' || state === 'active' || state === 'changing') return 'already-serving';
  return 'start';
}

/** States Enable starts from: never served, removed after retirement, or stopped by an error. */
const ENABLEABLE: readonly DomainState[] = ['inactive', 'removed', 'error'];

/** Enable starts: provisioning from the first step, the last failure forgotten. */
export function startEnable(domain: DomainSnapshot, actor: string, policyId: string | null): Transition {
  return {
    from: ENABLEABLE,
    patch: { state: 'provisioning', step: 'policy-file', errorStep: null, errorMessage: null, removedAt: null },
    audit: {
      action: 'enable',
      actor,
      policyIdBefore: domain.servedPolicyId,
      policyIdAfter: policyId,
      detail: `Enable started (mode ${domain.mode}, max_age ${domain.maxAge}).`,
    },
  };
}

/** Provisioning has reached `step`; a restart resumes there. */
export function stepReached(step: ProvisioningStep): Transition {
  return { from: ['provisioning'], patch: { step } };
}

/** Provisioning stopped at `step` for `reason`; the card says which step and why. */
export function stepFailed(step: ProvisioningStep, reason: string): Transition {
  return { from: ['provisioning'], patch: { state: 'error', step: null, errorStep: step, errorMessage: reason } };
}

/**
 * Every step passed: the policy host serves the policy over HTTPS. The id counts as
 * visible already when the TXT record was published before Enable finished.
 */
export function activate(domain: DomainSnapshot, now: Date): Transition {
  return {
    from: ['provisioning'],
    patch: {
      state: 'active',
      step: null,
      errorStep: null,
      errorMessage: null,
      enabledAt: now,
      policyPublishedAt: now,
      policyVisibleAt: domain.policyVisibleAt,
      largestMaxAgeServed: Math.max(domain.largestMaxAgeServed ?? 0, domain.maxAge),
    },
  };
}
