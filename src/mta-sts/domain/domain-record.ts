import type { Badge } from './badges';
import type { DomainState } from './domain-state';
import type { PolicyMode } from './policy';

/**
 * A managed domain as the rules see it: every column the store keeps (the TypeORM entity
 * implements this). Transitions read it and return a `DomainPatch` of it.
 */
export interface DomainRecord {
  readonly id: number;
  /** The domain in A-label form, lower-case, without trailing dot. */
  readonly name: string;
  readonly unicodeName: string;
  readonly state: DomainState;
  readonly badge: Badge;
  readonly step: string | null;
  readonly errorStep: string | null;
  readonly errorMessage: string | null;
  readonly mode: PolicyMode;
  readonly maxAge: number;
  readonly mx: string[];
  readonly mxProblem: string | null;
  readonly mxCheckedAt: Date | null;
  readonly policyId: string | null;
  readonly policyText: string | null;
  readonly policySerial: number;
  readonly servedPolicyId: string | null;
  readonly certIssuer: string | null;
  readonly certNotBefore: Date | null;
  readonly certNotAfter: Date | null;
  readonly certDirectoryUrl: string | null;
  readonly enabledAt: Date | null;
  readonly checksRanAt: Date | null;
  readonly renewAfter: Date | null;
  readonly renewWindow: { start: string; end: string } | null;
  readonly renewFailures: number;
  readonly renewNextAttemptAt: Date | null;
  readonly renewLastError: string | null;
  readonly renewRetryAfter: Date | null;
  readonly reissues: string[];
  readonly policyPublishedAt: Date | null;
  readonly policyVisibleAt: Date | null;
  readonly largestMaxAgeServed: number;
  readonly mxDrop: { hosts: string[]; after: string } | null;
  readonly retireStartedAt: Date | null;
  readonly maxAgeBeforeRetire: number | null;
  readonly retireUntil: Date | null;
  readonly removedAt: Date | null;
  readonly dnsPublishedAt: Date | null;
  readonly dnsFailures: number;
  readonly dnsLastError: string | null;
  readonly dnsNextAttemptAt: Date | null;
}

/** Columns a change writes; never the id or the name. */
export type DomainPatch = Partial<Omit<DomainRecord, 'id' | 'name'>>;
