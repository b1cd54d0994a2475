import { ConflictError } from '../../../src/mta-sts/domain/errors';
import type { DomainName } from '../../../src/mta-sts/domain/hostname';
import type { ResolvedMtaStsOptions } from '../../../src/mta-sts/mta-sts.options';
import type { MtaStsDomainEntity } from '../../../src/mta-sts/persistence/mta-sts-domain.entity';
import type { AuditService } from '../../../src/mta-sts/services/audit.service';
import type { ChecksService } from '../../../src/mta-sts/services/checks.service';
import { DomainLocks } from '../../../src/mta-sts/services/domain-locks';
import type { DomainsService } from '../../../src/mta-sts/services/domains.service';
import type { PolicyHost } from '../../../src/mta-sts/services/policy-host';
import { PolicyService } from '../../../src/mta-sts/services/policy.service';
import { PolicyChecks } from '../../../src/mta-sts/services/policy-checks';
import type { ReportsView } from '../../../src/mta-sts/services/reports-view';
import { RetirementService } from '../../../src/mta-sts/services/retirement.service';
import { FakeDomainStore } from './fake-domain-store';
import { NOW, servingDomain } from './serving-domain';
import { standIn } from './stand-in';

const DAY = 86_400_000;

/** RetirementService (with the policy changes it makes) against an in-memory store and strict stand-ins. */
describe('RetirementService', () => {
  let store: FakeDomainStore;
  let calls: string[];
  let nginxRefuses: boolean;
  const locks = new DomainLocks();

  function service(): RetirementService {
    const host = standIn<PolicyHost>('PolicyHost', {
      // No zone is configured here: publishing has nothing to say (see dns-publishing specs).
      publishRecordsLocked: async () => undefined,
      withdrawRecordsLocked: async () => undefined,
      addresses: async () => ({ ipv4: '192.0.2.10' }),
      writePolicy: async (domain: string, text: string) => {
        calls.push(`write ${domain} ${/mode: (\w+)/.exec(text)![1]}`);
      },
      remove: async (name: DomainName) => {
        if (nginxRefuses) throw new Error('nginx -t failed');
        calls.push(`remove ${name.ascii}`);
      },
    });
    const catalogue = standIn<DomainsService>('DomainsService', {
      find: async (name: DomainName) => (await store.findByName(name.ascii))!,
      view: async (entity: MtaStsDomainEntity) => ({ ...entity, domain: entity.name }) as never,
    });
    const checks = standIn<ChecksService>('ChecksService', {
      run: async () => [],
      refreshBadge: async () => undefined,
    });
    const audit = standIn<AuditService>('AuditService', {
      record: async (entry: { action: string; detail: string }) => {
        calls.push(`audit ${entry.action}: ${entry.detail}`);
      },
    });
    const clock = { now: () => NOW };
    // Retirement never promotes: the report evidence is never asked for.
    const policyChecks = new PolicyChecks(checks, standIn<ReportsView>('ReportsView', {}));
    const policies = new PolicyService(store, clock, host, locks, catalogue, policyChecks, audit);
    const options = {
      retirement: { txtTtlSeconds: 3_600 },
      defaultMaxAge: 604_800,
      serverIpv4: '192.0.2.10',
      serverIpv6: null,
    } as unknown as ResolvedMtaStsOptions;
    return new RetirementService(store, options, clock, host, locks, catalogue, policies);
  }

  beforeEach(() => {
    store = new FakeDomainStore();
    calls = [];
    nginxRefuses = false;
  });

  it('serves mode none under a new id until every cached policy has expired, and says what to publish', async () => {
    const before = servingDomain(store, { maxAge: 1_209_600, largestMaxAgeServed: 1_209_600 });
    const result = await service().retire('example.com', 'alice');
    const after = store.rows.get(before.id)!;
    // The largest max_age served (14 days) plus the TXT record's TTL.
    expect(after).toMatchObject({ state: 'retiring', mode: 'none', maxAgeBeforeRetire: 1_209_600 });
    expect(after.retireUntil!.getTime()).toBe(NOW.getTime() + 14 * DAY + 3_600_000);
    expect(calls[0]).toBe('write example.com none');
    expect(calls[1]).toMatch(/^audit retire: Retiring: mode none is served until 2026-12-10 13:00 UTC/);
    expect(result.publish).toMatchObject({
      name: '_mta-sts.example.com',
      type: 'TXT',
      value: `v=STSv1; id=${after.servedPolicyId}`,
    });
    expect(result.note).toMatch(/^Publish _mta-sts\.example\.com TXT ".*" now, so senders fetch mode none\./);
    // Asking again changes nothing.
    await service().retire('example.com', 'alice');
    expect(calls).toHaveLength(2);
  });

  it('refuses to retire a domain that serves nothing, or is still being provisioned', async () => {
    servingDomain(store, { name: 'idle.example', state: 'inactive', servedPolicyId: null });
    servingDomain(store, { name: 'busy.example', state: 'provisioning' });
    await expect(service().retire('idle.example')).rejects.toThrow(
      'idle.example does not serve a policy, so there is nothing to retire; use Remove now.',
    );
    await expect(service().retire('busy.example')).rejects.toThrow(ConflictError);
    expect(store.applied).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('cancels a retirement back to testing with the earlier max_age, under a new id', async () => {
    const entity = servingDomain(store, { maxAge: 1_209_600 });
    await service().retire('example.com', 'alice');
    const retiringId = store.rows.get(entity.id)!.servedPolicyId;
    await locks.run('example.com', async (held) =>
      service().cancelLocked(held, (await store.findById(entity.id))!, 'alice'),
    );
    const after = store.rows.get(entity.id)!;
    expect(after).toMatchObject({ state: 'changing', mode: 'testing', maxAge: 1_209_600, retireUntil: null });
    expect(after.servedPolicyId).not.toBe(retiringId);
    expect(after.servedPolicyId).not.toBe(entity.servedPolicyId);
    expect(calls.at(-1)).toBe(
      'audit cancel-retire: Retirement cancelled; the policy is back in testing mode with max_age 1209600 seconds.',
    );
  });

  it('removes the host at once, nginx first, and lists the records to delete in order', async () => {
    const entity = servingDomain(store);
    const result = await service().removeNow('example.com', 'alice');
    expect(calls).toEqual(['remove example.com']);
    expect(store.rows.get(entity.id)).toMatchObject({ state: 'removed', servedPolicyId: null, badge: 'inactive' });
    expect(store.trail).toEqual([
      expect.objectContaining({
        action: 'remove-now',
        detail: 'Removed at once; senders may apply a cached policy until 2026-12-03 12:00 UTC.',
      }),
    ]);
    expect(result.recordsToRemove.map((record) => `${record.name} ${record.type}`)).toEqual([
      '_mta-sts.example.com TXT',
      'mta-sts.example.com A',
    ]);
  });

  it('keeps the domain serving, as recorded, when nginx refuses to remove the host', async () => {
    const entity = servingDomain(store);
    nginxRefuses = true;
    await expect(service().removeNow('example.com', 'alice')).rejects.toThrow('nginx -t failed');
    expect(store.rows.get(entity.id)).toEqual(entity);
    expect(store.trail).toEqual([]);
  });
});
