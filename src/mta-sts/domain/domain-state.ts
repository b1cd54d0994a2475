/**
 * What a managed domain is doing; persisted, so a restart resumes where it stopped.
 * - `inactive`: added, never served (or disabled before any sender could cache a policy).
 * - `provisioning`: Enable walks the steps below in order; a failure stops at the step
 *   that failed and records it with the reason (`error`).
 * - `active`: the policy host serves the policy and DNS announces its id.
 * - `changing`: a new policy is served; its id is not yet seen in the `_mta-sts` TXT record.
 * - `retiring`: `mode: none` is served until senders' cached policies have expired (§8.3).
 * - `removed`: retirement finished; the policy host is gone and its records may be deleted.
 */
export const DOMAIN_STATES = [
  'inactive',
  'provisioning',
  'active',
  'changing',
  'retiring',
  'removed',
  'error',
] as const;
export type DomainState = (typeof DOMAIN_STATES)[number];

/** States in which the policy host serves a policy: checked, renewed, watched. */
export const SERVING_STATES = ['active', 'changing', 'retiring'] as const satisfies readonly DomainState[];

export function isServing(state: DomainState): boolean {
  return (SERVING_STATES as readonly DomainState[]).includes(state);
}

/**
 * States in which every node of a cluster serves the domain's host: provisioning too, since
 * the CA may ask any node for the challenge answer.
 */
export const CLUSTER_SERVED_STATES = [...SERVING_STATES, 'provisioning'] as const satisfies readonly DomainState[];

/**
 * What a node of a cluster does with a domain's host: serve it, stop serving it (never
 * served, or retired), or keep what it has (a failed Enable keeps what it had, as on a
 * single server).
 */
export function nodeServing(state: DomainState | undefined): 'serve' | 'stop' | 'keep' {
  if (state === undefined || state === 'inactive' || state === 'removed') return 'stop';
  return (CLUSTER_SERVED_STATES as readonly DomainState[]).includes(state) ? 'serve' : 'keep';
}

/** The provisioning steps, in the order Enable runs them. */
export const PROVISIONING_STEPS = [
  'mx-lookup',
  'policy-file',
  'http-vhost',
  'dns-check',
  'http-probe',
  'certificate',
  'https-vhost',
  'self-check',
] as const;
export type ProvisioningStep = (typeof PROVISIONING_STEPS)[number];

/** What each step does, in the words the card and the API show. */
export const STEP_LABELS: Record<ProvisioningStep, string> = {
  'mx-lookup': 'Looking up the MX records',
  'policy-file': 'Writing the policy file',
  'http-vhost': 'Configuring nginx for the ACME challenge (port 80)',
  'dns-check': 'Checking that the policy host resolves to this server',
  'http-probe': 'Checking that this server answers for the policy host on port 80',
  certificate: 'Obtaining the certificate',
  'https-vhost': 'Configuring nginx to serve the policy over HTTPS',
  'self-check': 'Fetching the policy over HTTPS',
};

export function isProvisioningStep(value: string | null | undefined): value is ProvisioningStep {
  return value !== null && value !== undefined && (PROVISIONING_STEPS as readonly string[]).includes(value);
}

/** Enable's steps are running. */
export function isProvisioning(state: DomainState): boolean {
  return state === 'provisioning';
}

/** `mode: none` is served until senders' cached policies have expired. */
export function isRetiring(state: DomainState): boolean {
  return state === 'retiring';
}

/** Enable stopped at a step; the card names it and why. */
export function hasFailed(state: DomainState): boolean {
  return state === 'error';
}

/**
 * The actions a domain offers in its state, as the card shows them and the services
 * accept them (a refused action says why): every rule of which action fits which state
 * in one place.
 */
export function availableActions(state: DomainState, mode: 'testing' | 'enforce' | 'none') {
  const serving = isServing(state);
  const steady = isSteady(state);
  return {
    enable: state === 'inactive' || state === 'error' || state === 'removed',
    cancelRetirement: state === 'retiring',
    retire: steady,
    removeNow: serving || state === 'error',
    promote: steady && mode !== 'enforce',
    revert: state !== 'provisioning' && state !== 'retiring' && mode === 'enforce',
    settings: state !== 'provisioning' && state !== 'retiring',
    checks: serving,
    reissue: serving,
    remove: state === 'inactive' || state === 'removed',
  };
}

/** Retirement finished: the policy host is gone and its records may be deleted. */
export function isRemoved(state: DomainState): boolean {
  return state === 'removed';
}

/** Whether the latest check results describe the domain as it is (not once its host is gone or before it served). */
export function checkResultsApply(state: DomainState): boolean {
  return state !== 'removed' && state !== 'inactive';
}

/** Serving a policy and not retiring: the policy follows MX changes, and may be promoted or retired. */
export function isSteady(state: DomainState): boolean {
  return state === 'active' || state === 'changing';
}

/** Serving a policy that a change ends (`changing`) until DNS shows its id. */
export function isChanging(state: DomainState): boolean {
  return state === 'changing';
}
