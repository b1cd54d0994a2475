import { DOMAIN_STATES, DomainState } from '../../src/mta-sts/domain/domain-state';
import type { DomainRecord } from '../../src/mta-sts/domain/domain-record';
import type { CheckResult } from '../../src/mta-sts/domain/check-verdicts';
import { renderPolicy } from '../../src/mta-sts/domain/policy';
import { afterCheckRun } from '../../src/mta-sts/domain/check-run';
import {
  DomainSnapshot,
  activate,
  cancelRetirementSettings,
  changePolicy,
  removeHost,
  retireRefusal,
  retireSettings,
  undoChange,
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
  largestMaxAgeServed: 0,
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

/** A domain that serves its testing policy under id `…n1`, announced in DNS. */
function serving(overrides: Partial<DomainRecord> = {}): DomainRecord {
  const text = renderPolicy({ mode: 'testing', mx: ['mx.example.com'], maxAge: 604_800 });
  return {
    id: 1,
    name: 'example.com',
    unicodeName: 'example.com',
    state: 'active',
    badge: 'active',
    step: null,
    errorStep: null,
    errorMessage: null,
    mode: 'testing',
    maxAge: 604_800,
    mx: ['mx.example.com'],
    mxProblem: null,
    mxCheckedAt: null,
    policyId: '20261120T080000n1',
    policyText: text,
    policySerial: 1,
    servedPolicyId: '20261120T080000n1',
    certIssuer: null,
    certNotBefore: null,
    certNotAfter: null,
    certDirectoryUrl: null,
    enabledAt: new Date('2026-11-20T08:00:00Z'),
    checksRanAt: null,
    renewAfter: null,
    renewWindow: null,
    renewFailures: 0,
    renewNextAttemptAt: null,
    renewLastError: null,
    renewRetryAfter: null,
    reissues: [],
    policyPublishedAt: new Date('2026-11-20T08:00:00Z'),
    policyVisibleAt: new Date('2026-11-20T09:00:00Z'),
    largestMaxAgeServed: 604_800,
    mxDrop: null,
    retireStartedAt: null,
    maxAgeBeforeRetire: null,
    retireUntil: null,
    removedAt: null,
    dnsPublishedAt: null,
    dnsFailures: 0,
    dnsLastError: null,
    dnsNextAttemptAt: null,
    ...overrides,
  };
}

describe('The policy and retirement transitions', () => {
  it('serves a changed policy at once under a new id, changing until DNS shows it', () => {
    const decision = changePolicy(serving(), { maxAge: 1_209_600 }, NOW);
    expect(decision.policyChanged).toBe(true);
    expect(decision.publish?.id).toBe('20261126T120000n2');
    expect(decision.publish?.text).toContain('max_age: 1209600');
    expect(decision.transition.from).toEqual(['active']);
    expect(decision.transition.patch).toMatchObject({
      maxAge: 1_209_600,
      policyId: '20261126T120000n2',
      policySerial: 2,
      servedPolicyId: '20261126T120000n2',
      policyPublishedAt: NOW,
      policyVisibleAt: null,
      largestMaxAgeServed: 1_209_600,
      state: 'changing',
    });
  });

  it('changes nothing served on a domain that serves nothing, and nothing at all when the text stays', () => {
    const inactive = changePolicy(serving({ state: 'inactive', servedPolicyId: null }), { maxAge: 86_400 }, NOW);
    expect(inactive.publish).toBeNull();
    expect(inactive.policyChanged).toBe(true);
    expect(inactive.transition.patch.state).toBeUndefined();
    const same = changePolicy(serving(), { maxAge: 604_800 }, NOW);
    expect([same.publish, same.policyChanged, same.transition.patch.policyId]).toEqual([
      null,
      false,
      '20261120T080000n1',
    ]);
  });

  it('puts back exactly the columns a change wrote, from the state it left the domain in', () => {
    const before = serving();
    const decision = changePolicy(before, { maxAge: 1_209_600 }, NOW);
    const undo = undoChange(before, decision);
    expect(undo.from).toEqual(['changing']);
    expect(Object.keys(undo.patch).sort()).toEqual(Object.keys(decision.transition.patch).sort());
    expect(undo.patch).toMatchObject({ maxAge: 604_800, servedPolicyId: '20261120T080000n1', state: 'active' });
  });

  it('retires a serving domain only, with mode none until the largest max_age served has passed', () => {
    expect(retireRefusal(serving())).toBeUndefined();
    expect(retireRefusal(serving({ state: 'retiring' }))).toBeUndefined();
    expect(retireRefusal(serving({ state: 'provisioning' }))).toBe(
      'example.com is being provisioned; wait until it is active or failed.',
    );
    expect(retireRefusal(serving({ state: 'inactive' }))).toBe(
      'example.com does not serve a policy, so there is nothing to retire; use Remove now.',
    );
    const settings = retireSettings(serving({ maxAge: 86_400, largestMaxAgeServed: 1_209_600 }), NOW, 3_600);
    expect(settings).toEqual({
      state: 'retiring',
      mode: 'none',
      maxAge: 86_400,
      maxAgeBeforeRetire: 86_400,
      mxDrop: null,
      retireStartedAt: NOW,
      retireUntil: new Date(NOW.getTime() + (1_209_600 + 3_600) * 1000),
      largestMaxAgeServed: 1_209_600,
    });
    const retiring = changePolicy(serving(), settings, NOW);
    expect(retiring.transition.patch.state).toBe('retiring');
    expect(retiring.publish?.text).toContain('mode: none');
  });

  it('cancels a retirement back to testing with the max_age from before', () => {
    expect(cancelRetirementSettings(serving({ state: 'retiring', maxAgeBeforeRetire: 1_209_600 }), 604_800)).toEqual({
      state: 'changing',
      mode: 'testing',
      maxAge: 1_209_600,
      maxAgeBeforeRetire: null,
      retireStartedAt: null,
      retireUntil: null,
    });
    expect(cancelRetirementSettings(serving({ state: 'retiring' }), 604_800).maxAge).toBe(604_800);
  });

  it('removes the host: removed once a policy was served, inactive otherwise, back to testing for the next Enable', () => {
    const audit = { action: 'retired', actor: 'system', detail: 'Retirement finished.' };
    const retired = removeHost(
      serving({ state: 'retiring', mode: 'none', maxAge: 86_400, maxAgeBeforeRetire: 1_209_600 }),
      NOW,
      604_800,
      audit,
    );
    expect(retired.from).toEqual(['retiring']);
    expect(retired.audit).toBe(audit);
    expect(retired.patch).toMatchObject({
      state: 'removed',
      servedPolicyId: null,
      enabledAt: null,
      removedAt: NOW,
      mode: 'testing',
      maxAge: 1_209_600,
      maxAgeBeforeRetire: null,
      policyId: '20261126T120000n2',
    });
    expect(removeHost(serving({ state: 'error', largestMaxAgeServed: 0 }), NOW, 604_800, audit).patch.state).toBe(
      'inactive',
    );
  });
});

describe('What a run of the checks changes', () => {
  const result = (check: string, status: 'pass' | 'warn' | 'fail', summary = `${check} ${status}`): CheckResult =>
    ({ check, status, summary, detail: '', remedy: '', observedAt: NOW }) as CheckResult;
  const passing = ['dns', 'https', 'certificate', 'policy-record', 'tls-rpt', 'mx-coverage'].map((check) =>
    result(check, 'pass'),
  );
  const changing = serving({ state: 'changing', servedPolicyId: '20261126T110000n2', policyVisibleAt: null });

  it('ends a change once DNS announces the served id, and only for the id the results were judged against', () => {
    expect(afterCheckRun(changing, passing, '20261126T110000n2', [], NOW)).toEqual({
      badge: 'active',
      idVisible: true,
      idVisibleAudit: {
        action: 'id-visible',
        actor: 'system',
        policyIdBefore: '20261126T110000n2',
        policyIdAfter: '20261126T110000n2',
        detail: 'The _mta-sts TXT record now announces id 20261126T110000n2.',
      },
      state: 'active',
      completesChange: true,
      stateChange: { from: ['changing'], patch: { state: 'active' } },
      tlsWarnings: [],
    });
    // Judged against the previous id: says nothing about the new one.
    expect(afterCheckRun(changing, passing, '20261120T080000n1', [], NOW)).toMatchObject({
      idVisible: false,
      state: 'changing',
      completesChange: false,
    });
    // Already seen: nothing to record again.
    const seen = afterCheckRun(serving(), passing, '20261120T080000n1', [], NOW);
    expect([seen.idVisible, seen.state]).toEqual([false, 'active']);
  });

  it('keeps a failing DNS check in Verifying during the grace period, and Error after it', () => {
    const notYet = passing.map((r) => (r.check === 'policy-record' ? result('policy-record', 'fail') : r));
    const fresh = serving({ state: 'changing', policyPublishedAt: new Date(NOW.getTime() - 3_600_000) });
    expect(afterCheckRun(fresh, notYet, fresh.servedPolicyId, [], NOW).badge).toBe('verifying');
    const old = serving({
      state: 'changing',
      policyPublishedAt: new Date(NOW.getTime() - 72 * 3_600_000),
      enabledAt: new Date(0),
    });
    expect(afterCheckRun(old, notYet, old.servedPolicyId, [], NOW).badge).toBe('error');
  });

  it('raises TLS warnings under enforce only', () => {
    const warned = [{ check: 'certificate', status: 'warn' as const, summary: 'expires in 10 days' }];
    const other = [{ check: 'tls-rpt', status: 'warn' as const, summary: 'no TLS-RPT record' }];
    expect(afterCheckRun(serving({ mode: 'enforce' }), passing, null, [...warned, ...other], NOW).tlsWarnings).toEqual(
      warned,
    );
    expect(afterCheckRun(serving(), passing, null, warned, NOW).tlsWarnings).toEqual([]);
  });
});
