/**
 * What a managed domain is doing. `provisioning` walks the steps below in order; a failure
 * stops at the step that failed and records it with the reason.
 */
export const DOMAIN_STATES = ['inactive', 'provisioning', 'active', 'error'] as const;
export type DomainState = (typeof DOMAIN_STATES)[number];

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
