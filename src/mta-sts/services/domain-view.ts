import { DnsRecord, ServerAddresses, expectedRecords } from '../domain/dns-records';
import { DomainState, STEP_LABELS, isProvisioningStep } from '../domain/domain-state';
import { DomainName } from '../domain/hostname';
import { PolicyMode, RenderedPolicy, renderPolicyWithId } from '../domain/policy';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';

/** What the API (and the cards) say about one domain. */
export interface DomainView {
  readonly domain: string;
  readonly displayName: string;
  readonly state: DomainState;
  readonly step: string | null;
  readonly stepLabel: string | null;
  readonly error: { readonly step: string | null; readonly message: string } | null;
  readonly mode: PolicyMode;
  readonly maxAge: number;
  readonly mx: readonly string[];
  /** Why no policy can be built from the live MX records, when that is the case. */
  readonly mxProblem: string | null;
  readonly mxCheckedAt: string | null;
  readonly policy: { readonly text: string; readonly id: string } | null;
  /** The id of the policy file being served (differs from `policy.id` until the next Enable). */
  readonly servedPolicyId: string | null;
  readonly records: readonly DnsRecord[];
  readonly certificate: {
    readonly issuer: string;
    readonly notBefore: string;
    readonly notAfter: string;
  } | null;
  readonly enabledAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function policyOf(entity: MtaStsDomainEntity): RenderedPolicy | null {
  if (entity.mx.length === 0 && entity.mode !== 'none') return null;
  return renderPolicyWithId({ mode: entity.mode, mx: entity.mx, maxAge: entity.maxAge });
}

const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);

export function toDomainView(entity: MtaStsDomainEntity, addresses: ServerAddresses, ruaTemplate: string): DomainView {
  const name = DomainName.fromValidated(entity.name);
  const policy = policyOf(entity);
  const step = entity.state === 'provisioning' ? entity.step : null;
  return {
    domain: entity.name,
    displayName: name.unicode,
    state: entity.state,
    step,
    stepLabel: isProvisioningStep(step) ? STEP_LABELS[step] : null,
    error:
      entity.state === 'error' && entity.errorMessage ? { step: entity.errorStep, message: entity.errorMessage } : null,
    mode: entity.mode,
    maxAge: entity.maxAge,
    mx: entity.mx,
    mxProblem: entity.mxProblem,
    mxCheckedAt: iso(entity.mxCheckedAt),
    policy,
    servedPolicyId: entity.servedPolicyId,
    records: expectedRecords(name, policy?.id, addresses, ruaTemplate),
    certificate:
      entity.certIssuer && entity.certNotBefore && entity.certNotAfter
        ? { issuer: entity.certIssuer, notBefore: iso(entity.certNotBefore)!, notAfter: iso(entity.certNotAfter)! }
        : null,
    enabledAt: iso(entity.enabledAt),
    createdAt: iso(entity.createdAt)!,
    updatedAt: iso(entity.updatedAt)!,
  };
}
