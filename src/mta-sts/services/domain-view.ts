import { Badge, CheckResult, domainBadge } from '../domain/checks';
import { DnsRecord, ServerAddresses, expectedRecords } from '../domain/dns-records';
import { DomainState, STEP_LABELS, isProvisioningStep } from '../domain/domain-state';
import { DomainName } from '../domain/hostname';
import { PolicyMode, RenderedPolicy, renderPolicyWithId } from '../domain/policy';
import { reissueAllowance, REISSUE_LIMIT } from '../domain/renewal';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';

/** What the API (and the cards) say about one domain. */
export interface DomainView {
  readonly domain: string;
  readonly displayName: string;
  readonly state: DomainState;
  /** Active, Verifying, Error or Inactive, from the state and the stored check results. */
  readonly badge: Badge;
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
  /** The stored results of the readiness checks (never computed in the request). */
  readonly checks: ReadonlyArray<Omit<CheckResult, 'observedAt'> & { readonly observedAt: string }>;
  readonly checksRanAt: string | null;
  readonly renewal: {
    /** When the certificate is due for renewal. */
    readonly dueAt: string | null;
    readonly failures: number;
    readonly nextAttemptAt: string | null;
    readonly lastError: string | null;
    /** The CA's Retry-After, when it sent one. */
    readonly retryAfter: string | null;
  };
  readonly reissue: { readonly limit: number; readonly remaining: number; readonly nextAllowedAt: string | null };
  readonly enabledAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function policyOf(entity: MtaStsDomainEntity): RenderedPolicy | null {
  if (entity.mx.length === 0 && entity.mode !== 'none') return null;
  return renderPolicyWithId({ mode: entity.mode, mx: entity.mx, maxAge: entity.maxAge });
}

const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);

export function toDomainView(
  entity: MtaStsDomainEntity,
  addresses: ServerAddresses,
  ruaTemplate: string,
  checks: readonly CheckResult[],
  now: Date,
): DomainView {
  const allowance = reissueAllowance(
    (entity.reissues ?? []).map((at) => new Date(at)),
    now,
  );
  const name = DomainName.fromValidated(entity.name);
  const policy = policyOf(entity);
  const step = entity.state === 'provisioning' ? entity.step : null;
  return {
    domain: entity.name,
    displayName: name.unicode,
    state: entity.state,
    badge: domainBadge(entity.state, checks, entity.enabledAt ? new Date(entity.enabledAt) : null, now),
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
    checks: checks.map((result) => ({ ...result, observedAt: result.observedAt.toISOString() })),
    checksRanAt: iso(entity.checksRanAt),
    renewal: {
      dueAt: iso(entity.renewAfter),
      failures: entity.renewFailures ?? 0,
      nextAttemptAt: iso(entity.renewNextAttemptAt),
      lastError: entity.renewLastError,
      retryAfter: iso(entity.renewRetryAfter),
    },
    reissue: {
      limit: REISSUE_LIMIT,
      remaining: allowance.remaining,
      nextAllowedAt: allowance.nextAllowedAt?.toISOString() ?? null,
    },
    enabledAt: iso(entity.enabledAt),
    createdAt: iso(entity.createdAt)!,
    updatedAt: iso(entity.updatedAt)!,
  };
}
