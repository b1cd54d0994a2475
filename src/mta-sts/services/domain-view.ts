import { Badge, CheckResult, domainBadge, graceStart } from '../domain/checks';
import { DnsRecord, ServerAddresses, expectedRecords } from '../domain/dns-records';
import {
  DomainState,
  STEP_LABELS,
  hasFailed,
  isProvisioning,
  isProvisioningStep,
  isServing,
} from '../domain/domain-state';
import { cardAlerts } from '../domain/wording';
import { enforceRisks } from '../domain/lifecycle';
import { DomainName } from '../domain/hostname';
import { PolicyMode } from '../domain/policy';
import { policyOf } from '../domain/policy-id';
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
  /** Where the panel writes these records, and how that went; null when they are published by hand. */
  readonly dnsPublishing: {
    readonly zone: string;
    /** Hosted in the operator's zone: the domain's own DNS holds two CNAMEs (RFC 8461 §8.2). */
    readonly delegated: boolean;
    readonly publishedAt: string | null;
    /** What the DNS server answered at the last failed attempt, and when the next one is. */
    readonly lastError: string | null;
    readonly nextAttemptAt: string | null;
  } | null;
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
  /** Changes of a served policy (RFC 8461 §8.1): when the served id was published and seen in DNS. */
  readonly lifecycle: {
    readonly policyPublishedAt: string | null;
    /** Null while the `_mta-sts` TXT record does not announce the served id yet. */
    readonly policyVisibleAt: string | null;
    /** The largest max_age served so far: how long senders may hold a policy. */
    readonly largestMaxAgeServed: number;
    /** Old MX hosts an enforce policy keeps until `after`. */
    readonly mxDrop: { readonly hosts: readonly string[]; readonly after: string } | null;
    readonly retireStartedAt: string | null;
    /** When a retiring domain's policy host is removed. */
    readonly retireUntil: string | null;
    readonly removedAt: string | null;
  };
  /** What needs the admin's attention now, one sentence each. */
  readonly alerts: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
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
  const step = isProvisioning(entity.state) ? entity.step : null;
  return {
    domain: entity.name,
    displayName: name.unicode,
    state: entity.state,
    badge: domainBadge(entity.state, checks, graceStart(entity), now),
    step,
    stepLabel: isProvisioningStep(step) ? STEP_LABELS[step] : null,
    error:
      hasFailed(entity.state) && entity.errorMessage ? { step: entity.errorStep, message: entity.errorMessage } : null,
    mode: entity.mode,
    maxAge: entity.maxAge,
    mx: entity.mx,
    mxProblem: entity.mxProblem,
    mxCheckedAt: iso(entity.mxCheckedAt),
    policy,
    servedPolicyId: entity.servedPolicyId,
    records: expectedRecords(name, policy?.id, addresses, ruaTemplate),
    dnsPublishing: null,
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
    lifecycle: {
      policyPublishedAt: iso(entity.policyPublishedAt),
      policyVisibleAt: iso(entity.policyVisibleAt),
      largestMaxAgeServed: entity.largestMaxAgeServed ?? 0,
      mxDrop: entity.mxDrop ?? null,
      retireStartedAt: iso(entity.retireStartedAt),
      retireUntil: iso(entity.retireUntil),
      removedAt: iso(entity.removedAt),
    },
    alerts: cardAlerts(entity, name, enforceRisksOf(entity, checks, now), now),
    createdAt: iso(entity.createdAt)!,
    updatedAt: iso(entity.updatedAt)!,
  };
}

/** Certificate trouble that can bounce mail, for a serving domain in enforce mode (see `enforceRisks`). */
export function enforceRisksOf(
  entity: MtaStsDomainEntity,
  checks: readonly Pick<CheckResult, 'check' | 'status' | 'summary'>[],
  now: Date,
): string[] {
  if (entity.mode !== 'enforce' || !isServing(entity.state)) return [];
  return enforceRisks({
    certificateDaysLeft: entity.certNotAfter
      ? Math.floor((new Date(entity.certNotAfter).getTime() - now.getTime()) / 86_400_000)
      : null,
    renewalFailing: (entity.renewFailures ?? 0) > 0,
    smtp: checks.find((check) => check.check === 'mx-tls'),
  });
}
