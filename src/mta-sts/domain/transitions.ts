import type { DomainPatch, DomainRecord } from './domain-record';
import { DomainState, ProvisioningStep, isServing, isSteady } from './domain-state';
import { enableStartedDetail, refusals, removedAtOnceDetail } from './wording/lifecycle';
import { cachedUntil } from './lifecycle';
import { RETIRE_MAX_AGE, retirementDeadline } from './lifecycle';
import { INITIAL_MODE, RenderedPolicy } from './policy';
import { NO_POLICY_IDENTITY, nextPolicyIdentity, policyOf, withPolicyIdentity } from './policy-id';
import type { DomainName } from './hostname';

/**
 * The lifecycle's state changes, each a pure function from the domain as it is and the
 * facts to the change to write: the columns, the states the decision was made in (the
 * store writes nothing when the row has left them meanwhile), and the audit entry. The
 * services gather facts and do the work outside the database; the decisions are here.
 */

/** The columns of a domain the Enable transitions read. */
export type DomainSnapshot = Pick<
  DomainRecord,
  'name' | 'state' | 'mode' | 'maxAge' | 'servedPolicyId' | 'policyVisibleAt' | 'largestMaxAgeServed'
>;

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
  readonly patch: DomainPatch;
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
      detail: enableStartedDetail(domain.mode, domain.maxAge),
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

/** The outcome of a change to a policy's settings (mode, max_age, mx, retirement). */
export interface PolicyChangeDecision {
  readonly transition: Transition;
  /** The policy instance now served, when the change gives a serving domain a new one. */
  readonly publish: RenderedPolicy | null;
  /** Whether the policy text (and so its id) changed, served now or from the next Enable. */
  readonly policyChanged: boolean;
}

/**
 * A change of the policy's settings, and of the state with it (retire, cancel a
 * retirement). The policy gets its id from `withPolicyIdentity`; on a serving domain a
 * new instance is served at once: its id becomes the served one, not yet visible in DNS,
 * the largest max_age served grows, and an active domain is `changing` until DNS shows it.
 */
export function changePolicy(domain: DomainRecord, settings: DomainPatch, now: Date): PolicyChangeDecision {
  const patch: { -readonly [K in keyof DomainPatch]: DomainPatch[K] } = withPolicyIdentity(domain, settings, now);
  const policy = policyOf({ ...domain, ...patch });
  const policyChanged = policy?.id !== domain.policyId;
  const publish = isServing(domain.state) && policy !== null && policy.id !== domain.servedPolicyId;
  if (publish) {
    patch.servedPolicyId = policy.id;
    patch.policyPublishedAt = now;
    patch.policyVisibleAt = null;
    patch.largestMaxAgeServed = Math.max(domain.largestMaxAgeServed ?? 0, patch.maxAge ?? domain.maxAge);
    if ((patch.state ?? domain.state) === 'active') patch.state = 'changing';
  }
  return { transition: { from: [domain.state], patch }, publish: publish ? policy : null, policyChanged };
}

/** What was written by `decision`, put back (a policy file that could not be written). */
export function undoChange(before: DomainRecord, decision: PolicyChangeDecision): Transition {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(decision.transition.patch)) patch[key] = before[key as keyof DomainRecord];
  const after = decision.transition.patch.state ?? before.state;
  return { from: [after], patch: patch as DomainPatch };
}

/** Why a domain cannot start retiring, or undefined when it can (`retiring` already: nothing to do). */
export function retireRefusal(domain: Pick<DomainRecord, 'name' | 'state'>): string | undefined {
  if (isServing(domain.state)) return undefined;
  return domain.state === 'provisioning'
    ? refusals.retireWhileProvisioning(domain.name)
    : refusals.retireNothingServed(domain.name);
}

/**
 * Retire (RFC 8461 §8.3): `mode: none` with a short max_age under a new id, until every
 * policy served so far has expired from senders' caches, counted from now, the last moment
 * it was served, plus the TXT record's TTL.
 */
export function retireSettings(domain: DomainRecord, now: Date, txtTtlSeconds: number): DomainPatch {
  const largest = Math.max(domain.largestMaxAgeServed ?? 0, domain.maxAge);
  return {
    state: 'retiring',
    mode: 'none',
    maxAge: RETIRE_MAX_AGE,
    maxAgeBeforeRetire: domain.maxAge,
    mxDrop: null,
    retireStartedAt: now,
    retireUntil: retirementDeadline(now, largest, txtTtlSeconds),
    largestMaxAgeServed: largest,
  };
}

/** Cancel a retirement: testing again, with the max_age the domain had before retiring. */
export function cancelRetirementSettings(domain: DomainRecord, defaultMaxAge: number): DomainPatch {
  return {
    state: 'changing',
    mode: 'testing',
    maxAge: domain.maxAgeBeforeRetire ?? defaultMaxAge,
    maxAgeBeforeRetire: null,
    retireStartedAt: null,
    retireUntil: null,
  };
}

/**
 * The policy host is gone (retirement finished, or Remove now): `removed` when senders may
 * have cached a policy, `inactive` when none was ever served. The next Enable starts over
 * in testing mode, under a new id.
 */
export function removeHost(domain: DomainRecord, now: Date, defaultMaxAge: number, audit: AuditEntry): Transition {
  const everServed = (domain.largestMaxAgeServed ?? 0) > 0;
  const patch = withPolicyIdentity(
    domain,
    {
      state: everServed ? 'removed' : 'inactive',
      // A domain that serves nothing is Inactive, whatever its last checks said.
      badge: 'inactive',
      step: null,
      errorStep: null,
      errorMessage: null,
      servedPolicyId: null,
      enabledAt: null,
      mxDrop: null,
      retireUntil: null,
      removedAt: now,
      ...(domain.mode === 'none'
        ? { mode: 'testing' as const, maxAge: domain.maxAgeBeforeRetire ?? defaultMaxAge }
        : {}),
      maxAgeBeforeRetire: null,
    },
    now,
  );
  return { from: [domain.state], patch, audit };
}

/** A domain as Add stores it: inactive, in testing mode, with the policy its live MX records give. */
export function newDomain(
  name: DomainName,
  mx: { readonly patterns: string[]; readonly problem: string | null },
  defaultMaxAge: number,
  now: Date,
): Omit<DomainRecord, 'id'> {
  const settings = { mode: INITIAL_MODE, maxAge: defaultMaxAge, mx: mx.patterns };
  return {
    ...nextPolicyIdentity(NO_POLICY_IDENTITY, settings, now),
    name: name.ascii,
    unicodeName: name.unicode,
    state: 'inactive',
    badge: 'inactive',
    step: null,
    errorStep: null,
    errorMessage: null,
    ...settings,
    mxProblem: mx.problem,
    mxCheckedAt: now,
    servedPolicyId: null,
    certIssuer: null,
    certNotBefore: null,
    certNotAfter: null,
    certDirectoryUrl: null,
    enabledAt: null,
    checksRanAt: null,
    renewAfter: null,
    renewWindow: null,
    renewFailures: 0,
    renewNextAttemptAt: null,
    renewLastError: null,
    renewRetryAfter: null,
    reissues: [],
    policyPublishedAt: null,
    policyVisibleAt: null,
    largestMaxAgeServed: 0,
    mxDrop: null,
    retireStartedAt: null,
    maxAgeBeforeRetire: null,
    retireUntil: null,
    removedAt: null,
    dnsPublishedAt: null,
    dnsFailures: 0,
    dnsLastError: null,
    dnsNextAttemptAt: null,
  };
}

/** States a domain may be deleted in: nothing is served, no sender can hold its policy. */
export const DELETABLE: readonly DomainState[] = ['inactive', 'removed'];

/** Why a domain cannot be deleted now, or undefined when it can. */
export function deleteRefusal(domain: Pick<DomainRecord, 'name' | 'state'>): string | undefined {
  return DELETABLE.includes(domain.state) ? undefined : refusals.deleteWhile(domain.name, domain.state);
}

/** Checks whose warning, under enforce, means mail may soon bounce. */
/** What Remove now does in the domain's state: refuse, nothing (no host to remove), or remove with this audit detail. */
export function removeNowDecision(
  domain: Pick<DomainRecord, 'name' | 'state' | 'largestMaxAgeServed'>,
  now: Date,
): { readonly refusal?: string; readonly nothingToDo?: true; readonly detail?: string } {
  if (domain.state === 'provisioning') {
    return { refusal: refusals.removeNowWhileProvisioning(domain.name) };
  }
  if (domain.state === 'inactive' || domain.state === 'removed') return { nothingToDo: true };
  return {
    detail: removedAtOnceDetail(
      domain.largestMaxAgeServed > 0 && domain.state !== 'retiring'
        ? cachedUntil(now, domain.largestMaxAgeServed)
        : null,
    ),
  };
}

/** Why the policy's settings cannot change in the domain's state, or undefined when they can. */
export function policyChangeRefusal(domain: Pick<DomainRecord, 'name' | 'state'>): string | undefined {
  if (domain.state === 'provisioning') {
    return refusals.changeWhileProvisioning(domain.name);
  }
  if (domain.state === 'retiring') {
    return refusals.changeWhileRetiring(domain.name);
  }
  return undefined;
}

/** The MX watch follows live MX changes of a domain that serves a policy and is not retiring. */
export function followsLiveMx(state: DomainState): boolean {
  return isSteady(state);
}
