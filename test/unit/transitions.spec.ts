import { DOMAIN_STATES, DomainState } from '../../src/mta-sts/domain/domain-state';
import {
  DomainSnapshot,
  activate,
  enableDecision,
  startEnable,
  stepFailed,
  stepReached,
} from '../../src/mta-sts/domain/transitions';

const NOW = new Date('2026-11-26T12:00:00Z');
const domain = (overrides: Partial<DomainSnapshot> = {}): DomainSnapshot => ({
  name: 'example.com',
  state: 'inactive',
  mode: 'testing',
  maxAge: 604_800,
  servedPolicyId: null,
  policyVisibleAt: null,
  largestMaxAgeServed: null,
  ...overrides,
});

describe('The Enable transitions', () => {
  it('decides what Enable does in every state', () => {
    const decisions = Object.fromEntries(DOMAIN_STATES.map((state) => [state, enableDecision(state)]));
    expect(decisions).toEqual({
      inactive: 'start',
      provisioning: 'already-serving',
      active: 'already-serving',
      changing: 'already-serving',
      retiring: 'cancel-retirement',
      removed: 'start',
      error: 'start',
    });
  });

  it('starts provisioning only from the states Enable starts in, forgetting the last failure, with its audit entry', () => {
    const transition = startEnable(
      domain({ state: 'error', servedPolicyId: '20261120T080000n2' }),
      'alice',
      '20261126T120000n3',
    );
    const startable = DOMAIN_STATES.filter((state: DomainState) => enableDecision(state) === 'start');
    expect([...transition.from].sort()).toEqual([...startable].sort());
    expect(transition.patch).toEqual({
      state: 'provisioning',
      step: 'policy-file',
      errorStep: null,
      errorMessage: null,
      removedAt: null,
    });
    expect(transition.audit).toEqual({
      action: 'enable',
      actor: 'alice',
      policyIdBefore: '20261120T080000n2',
      policyIdAfter: '20261126T120000n3',
      detail: 'Enable started (mode testing, max_age 604800).',
    });
  });

  it('moves through the steps and stops at a failed one only while provisioning', () => {
    expect(stepReached('certificate')).toEqual({ from: ['provisioning'], patch: { step: 'certificate' } });
    expect(stepFailed('dns-check', 'mta-sts.example.com does not resolve')).toEqual({
      from: ['provisioning'],
      patch: {
        state: 'error',
        step: null,
        errorStep: 'dns-check',
        errorMessage: 'mta-sts.example.com does not resolve',
      },
    });
  });

  it('activates with the enable time, keeps an id seen before Enable finished, and remembers the largest max_age served', () => {
    const seen = new Date('2026-11-26T11:59:00Z');
    const transition = activate(
      domain({ state: 'provisioning', maxAge: 86_400, largestMaxAgeServed: 604_800, policyVisibleAt: seen }),
      NOW,
    );
    expect(transition.from).toEqual(['provisioning']);
    expect(transition.patch).toEqual({
      state: 'active',
      step: null,
      errorStep: null,
      errorMessage: null,
      enabledAt: NOW,
      policyPublishedAt: NOW,
      policyVisibleAt: seen,
      largestMaxAgeServed: 604_800,
    });
    expect(activate(domain({ state: 'provisioning', maxAge: 86_400 }), NOW).patch.largestMaxAgeServed).toBe(86_400);
  });
});
