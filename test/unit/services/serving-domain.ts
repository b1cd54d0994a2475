import type { DomainRecord } from '../../../src/mta-sts/domain/domain-record';
import { NO_POLICY_IDENTITY, nextPolicyIdentity } from '../../../src/mta-sts/domain/policy-id';
import type { MtaStsDomainEntity } from '../../../src/mta-sts/persistence/mta-sts-domain.entity';
import type { FakeDomainStore } from './fake-domain-store';

export const NOW = new Date('2026-11-26T12:00:00Z');
const ENABLED = new Date('2026-11-20T08:00:00Z');

/** A domain in the store that serves its testing policy, announced in DNS since it was enabled. */
export function servingDomain(
  store: FakeDomainStore,
  overrides: Partial<DomainRecord> & { name?: string } = {},
): MtaStsDomainEntity {
  const settings = { mode: 'testing' as const, mx: ['mx.example.com'], maxAge: 604_800 };
  const identity = nextPolicyIdentity(NO_POLICY_IDENTITY, { ...settings, ...overrides }, ENABLED);
  return store.put({
    name: 'example.com',
    state: 'active',
    ...settings,
    ...identity,
    servedPolicyId: identity.policyId,
    policyPublishedAt: ENABLED,
    policyVisibleAt: ENABLED,
    largestMaxAgeServed: settings.maxAge,
    enabledAt: ENABLED,
    mxDrop: null,
    retireUntil: null,
    retireStartedAt: null,
    maxAgeBeforeRetire: null,
    ...overrides,
  });
}
