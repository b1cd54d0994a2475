import type { CheckResult } from '../../../src/mta-sts/domain/check-verdicts';
import { ConflictError, PromotionRefusedError } from '../../../src/mta-sts/domain/errors';
import type { DomainName } from '../../../src/mta-sts/domain/hostname';
import type { MtaStsDomainEntity } from '../../../src/mta-sts/persistence/mta-sts-domain.entity';
import type { AuditService } from '../../../src/mta-sts/services/audit.service';
import type { ChecksService } from '../../../src/mta-sts/services/checks.service';
import { DomainLocks, HeldLock } from '../../../src/mta-sts/services/domain-locks';
import type { DomainsService } from '../../../src/mta-sts/services/domains.service';
import type { PolicyHost } from '../../../src/mta-sts/services/policy-host';
import { PolicyService } from '../../../src/mta-sts/services/policy.service';
import { PolicyChecks } from '../../../src/mta-sts/services/policy-checks';
import type { ReportsView } from '../../../src/mta-sts/services/reports-view';
import type { PromotionEvidence } from '../../../src/mta-sts/domain/report-summary';
import { FakeDomainStore } from './fake-domain-store';
import { NOW, servingDomain } from './serving-domain';
import { standIn } from './stand-in';

/** PolicyService against an in-memory store, with stand-ins that refuse any call a test did not expect. */
describe('PolicyService', () => {
  let store: FakeDomainStore;
  let written: Array<{ domain: string; text: string }>;
  let writeFails: boolean;
  let recorded: Array<{
    action: string;
    detail: string;
    policyIdBefore?: string | null;
    policyIdAfter?: string | null;
  }>;
  let checkResults: CheckResult[];
  let checksRun: string[];
  let liveMx: { patterns: string[]; problem?: string };
  let beforeWrite: (() => void) | undefined;
  const clean: PromotionEvidence = {
    reportDays: 14,
    failedSessions: 0,
    failureTypes: [],
    successfulSessions: 5_000,
    fetches: { fetches: 12, fetchers: 3 },
  };
  let evidence: PromotionEvidence = clean;
  const locks = new DomainLocks();

  function service(): PolicyService {
    const host = standIn<PolicyHost>('PolicyHost', {
      // No zone is configured here: publishing has nothing to say (see dns-publishing specs).
      publishRecordsLocked: async () => undefined,
      withdrawRecordsLocked: async () => undefined,
      writePolicy: async (domain: string, text: string) => {
        beforeWrite?.();
        if (writeFails) throw new Error('disk full');
        written.push({ domain, text });
      },
    });
    const catalogue = standIn<DomainsService>('DomainsService', {
      find: async (name: DomainName) => {
        const found = await store.findByName(name.ascii);
        if (!found) throw new Error(`${name.ascii} is not in the store`);
        return found;
      },
      view: async (entity: MtaStsDomainEntity) => ({ ...entity, domain: entity.name }) as never,
      lookupMx: async () => liveMx as never,
    });
    const checks = standIn<ChecksService>('ChecksService', {
      enabledChecks: ['policy-record', 'https', 'certificate'],
      run: async (entity: MtaStsDomainEntity) => {
        checksRun.push(entity.name);
        return checkResults;
      },
      refreshBadge: async () => undefined,
    });
    const audit = standIn<AuditService>('AuditService', {
      record: async (entry: (typeof recorded)[number]) => {
        recorded.push(entry);
      },
    });
    const reports = standIn<ReportsView>('ReportsView', { promotionEvidence: async () => evidence });
    const policyChecks = new PolicyChecks(checks, reports);
    return new PolicyService(store, { now: () => NOW }, host, locks, catalogue, policyChecks, audit);
  }

  const passing = (check: CheckResult['check']): CheckResult =>
    ({ check, status: 'pass', summary: 'fine', remedy: null, detail: '', observedAt: NOW }) as unknown as CheckResult;

  beforeEach(() => {
    evidence = clean;
    store = new FakeDomainStore();
    written = [];
    writeFails = false;
    recorded = [];
    checkResults = [passing('policy-record'), passing('https'), passing('certificate')];
    checksRun = [];
    liveMx = { patterns: ['mx.example.com'] };
    beforeWrite = undefined;
  });

  it('serves a changed max_age under a new id first, then records it, and asks for the new id in DNS', async () => {
    const before = servingDomain(store);
    const change = await service().setMaxAge('example.com', '86400', 'alice');
    const after = store.rows.get(before.id)!;
    expect(after).toMatchObject({
      state: 'changing',
      maxAge: 86_400,
      policyVisibleAt: null,
      largestMaxAgeServed: 604_800,
    });
    expect(after.servedPolicyId).not.toBe(before.servedPolicyId);
    expect(written).toEqual([{ domain: 'example.com', text: after.policyText }]);
    expect(written[0].text).toContain('max_age: 86400');
    expect(recorded).toEqual([
      expect.objectContaining({
        action: 'max-age',
        detail: 'max_age 604800 → 86400 seconds.',
        policyIdBefore: before.servedPolicyId,
        policyIdAfter: after.servedPolicyId,
      }),
    ]);
    expect(change).toMatchObject({ policyChanged: true, idChanged: true });
    expect(change.note).toContain(`Publish _mta-sts.example.com TXT "v=STSv1; id=${after.servedPolicyId}"`);
    // The policy-record check now reports the new id as not yet visible.
    expect(checksRun).toEqual(['example.com']);
  });

  it('puts the previous record back when the new policy file cannot be written, and records nothing', async () => {
    const before = servingDomain(store);
    writeFails = true;
    await expect(service().setMaxAge('example.com', 86_400)).rejects.toThrow('disk full');
    expect(store.rows.get(before.id)).toEqual(before);
    expect(recorded).toEqual([]);
  });

  it('refuses changes while the domain is provisioning or retiring, and writes nothing', async () => {
    servingDomain(store, { name: 'busy.example', state: 'provisioning' });
    servingDomain(store, { name: 'leaving.example', state: 'retiring' });
    await expect(service().setMaxAge('busy.example', 86_400)).rejects.toThrow(ConflictError);
    await expect(service().setMaxAge('leaving.example', 86_400)).rejects.toThrow(
      'leaving.example is retiring and serves mode none; Enable it again to cancel the retirement first.',
    );
    expect(store.applied).toEqual([]);
    expect(written).toEqual([]);
  });

  it('promotes only on fresh checks that pass, naming every blocker otherwise', async () => {
    servingDomain(store);
    checkResults = [passing('policy-record'), { ...passing('certificate'), status: 'fail', summary: 'expired' }];
    const refused = await service()
      .setMode('example.com', 'enforce', 'alice')
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PromotionRefusedError);
    expect((refused as PromotionRefusedError).reasons).toHaveLength(2);
    expect(store.applied).toEqual([]);
    checkResults = [passing('policy-record'), passing('https'), passing('certificate')];
    const change = await service().setMode('example.com', 'enforce', 'alice');
    expect(change.idChanged).toBe(true);
    expect(written[0].text).toContain('mode: enforce');
  });

  it('refuses Promote while the last 14 days of reports hold failures, unless the admin overrides it, which the trail records', async () => {
    servingDomain(store);
    checkResults = [passing('policy-record'), passing('https'), passing('certificate')];
    evidence = { ...clean, failedSessions: 3, failureTypes: ['certificate-expired'] };
    const refused = await service()
      .setMode('example.com', 'enforce', 'alice')
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PromotionRefusedError);
    expect((refused as PromotionRefusedError).reasons).toEqual([
      'TLS reports of the last 14 days show 3 failed sessions (certificate-expired). Fix what the Reports section says, or promote anyway and confirm that you accept the risk.',
    ]);
    expect(store.applied).toEqual([]);

    await service().setMode('example.com', 'enforce', 'alice', { overrideReports: true });
    expect(written[0].text).toContain('mode: enforce');
    expect(recorded.at(-1)!.detail).toContain(
      'Promoted despite 3 failed sessions in the TLS reports of the last 14 days (certificate-expired); the admin confirmed.',
    );
  });

  it('names the failing reports beside the failing checks, and an override does not pass a failing check', async () => {
    servingDomain(store);
    checkResults = [
      passing('policy-record'),
      passing('https'),
      { ...passing('certificate'), status: 'fail', summary: 'expired' },
    ];
    evidence = { ...clean, failedSessions: 1, failureTypes: ['starttls-not-supported'] };
    const both = await service()
      .setMode('example.com', 'enforce', 'alice')
      .catch((error: unknown) => error as PromotionRefusedError);
    expect((both as PromotionRefusedError).reasons).toHaveLength(2);
    const overridden = await service()
      .setMode('example.com', 'enforce', 'alice', { overrideReports: true })
      .catch((error: unknown) => error as PromotionRefusedError);
    expect((overridden as PromotionRefusedError).reasons).toHaveLength(1);
    expect(store.applied).toEqual([]);
  });

  it('decides again on what is stored when the checks completed a change meanwhile', async () => {
    const before = servingDomain(store, { state: 'changing', policyVisibleAt: null });
    // A check run sees the id in DNS between the read and the write.
    const original = store.apply.bind(store);
    let raced = false;
    store.apply = async (domain, transition) => {
      if (!raced) {
        raced = true;
        store.rows.get(before.id)!.state = 'active';
      }
      return original(domain, transition);
    };
    await service().setMaxAge('example.com', 86_400);
    expect(store.rows.get(before.id)).toMatchObject({ state: 'changing', maxAge: 86_400 });
    expect(store.applied.map((entry) => entry.transition.from)).toEqual([['active']]);
  });

  it('keeps the mx lines when the live MX records cannot back a policy', async () => {
    servingDomain(store);
    liveMx = { patterns: [], problem: 'example.com has no MX records.' };
    await expect(service().refreshMx('example.com')).rejects.toThrow(
      'The policy was not changed: example.com has no MX records.',
    );
    expect(store.applied).toEqual([]);
  });

  it('refuses a change made without holding the domain’s lock', async () => {
    const entity = servingDomain(store);
    const forged = new HeldLock('example.com');
    await expect(
      service().applyLocked(forged, entity, { maxAge: 86_400 }, { action: 'max-age', actor: 'x', detail: 'd' }),
    ).rejects.toThrow('example.com is changed without holding its lock.');
    await locks.run('other.example', async (held) => {
      await expect(
        service().applyLocked(held, entity, { maxAge: 86_400 }, { action: 'max-age', actor: 'x', detail: 'd' }),
      ).rejects.toThrow('without holding its lock');
    });
    expect(store.applied).toEqual([]);
  });
});
