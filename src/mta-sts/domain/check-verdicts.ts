/** What every readiness check returns, and the checks' names and titles (see `checks.ts`). */
export const CHECK_IDS = ['dns', 'https', 'certificate', 'policy-record', 'tls-rpt', 'mx-coverage', 'mx-tls'] as const;
export type CheckId = (typeof CHECK_IDS)[number];
export type CheckStatus = 'pass' | 'warn' | 'fail';

export const CHECK_TITLES: Record<CheckId, string> = {
  dns: 'DNS resolves to this server',
  https: 'HTTPS policy endpoint reachable',
  certificate: 'Certificate valid',
  'policy-record': 'Policy id in DNS matches',
  'tls-rpt': 'TLS reporting record',
  'mx-coverage': 'MX hosts covered by the policy',
  'mx-tls': 'MX hosts accept TLS (STARTTLS probe)',
};

/** Checks whose failure only means DNS changes are not visible yet (see `domainBadge`). */
export const DNS_VISIBILITY_CHECKS: readonly CheckId[] = ['dns', 'policy-record', 'tls-rpt'];

export interface CheckVerdict {
  readonly check: CheckId;
  readonly status: CheckStatus;
  readonly summary: string;
  readonly detail: string;
  readonly remedy: string;
  /** What DNS answered, by record type, for the record table (`A`, `AAAA`, `TXT`). */
  readonly observed?: Readonly<Record<string, readonly string[]>>;
}

export interface CheckResult extends CheckVerdict {
  readonly observedAt: Date;
}

/** A DNS answer, or why there is none (a timeout, SERVFAIL). */
export type Lookup<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export const pass = (check: CheckId, summary: string, detail = ''): CheckVerdict => ({
  check,
  status: 'pass',
  summary,
  detail,
  remedy: '',
});
