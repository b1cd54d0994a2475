import type { CertificateInfo } from '../../../src/mta-sts/domain/certificate';
import { ConflictError } from '../../../src/mta-sts/domain/errors';
import type { DomainName } from '../../../src/mta-sts/domain/hostname';
import type { AuditService } from '../../../src/mta-sts/services/audit.service';
import type { CertificateIssuer } from '../../../src/mta-sts/services/certificate-issuer';
import { DomainLocks } from '../../../src/mta-sts/services/domain-locks';
import type { RenewalOutcomes } from '../../../src/mta-sts/services/renewal-outcomes';
import { RenewalService } from '../../../src/mta-sts/services/renewal.service';
import { FakeDomainStore } from './fake-domain-store';
import { NOW, servingDomain } from './serving-domain';
import { standIn } from './stand-in';

const DAY = 86_400_000;
const cert = (issuedDaysAgo: number): CertificateInfo => ({
  issuer: 'Test CA',
  subject: 'CN=mta-sts.example.com',
  notBefore: new Date(NOW.getTime() - issuedDaysAgo * DAY),
  notAfter: new Date(NOW.getTime() + (90 - issuedDaysAgo) * DAY),
  dnsNames: ['mta-sts.example.com'],
  serialNumber: '01',
  fingerprint256: 'AA',
});

/** RenewalService against an in-memory store and strict stand-ins for the CA side. */
describe('RenewalService', () => {
  let store: FakeDomainStore;
  let installed: CertificateInfo | undefined;
  let orders: string[];
  let orderFails: boolean;
  let outcomes: string[];
  let trail: Array<{ action: string; detail: string }>;

  function service(): RenewalService {
    const issuer = standIn<CertificateIssuer>('CertificateIssuer', {
      directoryUrl: 'https://ca.example/dir',
      stored: async () =>
        (installed ? { info: installed, certificatePem: 'not a PEM: no ARI id' } : undefined) as never,
      replace: async (name: DomainName) => {
        orders.push(name.ascii);
        if (orderFails) throw new Error('CA down');
        return cert(0);
      },
    });
    const renewalOutcomes = standIn<RenewalOutcomes>('RenewalOutcomes', {
      renewed: async () => {
        outcomes.push('renewed');
        return 'renewed';
      },
      failed: async () => {
        outcomes.push('failed');
        return 'failed';
      },
    });
    const audit = standIn<AuditService>('AuditService', {
      record: async (entry: { action: string; detail: string }) => {
        trail.push(entry);
      },
    });
    return new RenewalService(store, { now: () => NOW }, issuer, new DomainLocks(), audit, renewalOutcomes, () => 0.5);
  }

  beforeEach(() => {
    store = new FakeDomainStore();
    installed = undefined;
    orders = [];
    orderFails = false;
    outcomes = [];
    trail = [];
  });

  it('renews once a third of the lifetime is left, and stores when it is due', async () => {
    const entity = servingDomain(store, { renewFailures: 0, renewNextAttemptAt: null, reissues: [] });
    installed = cert(10);
    expect(await service().renewIfDue(entity)).toBe('not-due');
    expect(orders).toEqual([]);
    expect(store.rows.get(entity.id)!.renewAfter).toEqual(new Date(installed.notBefore.getTime() + 60 * DAY));
    installed = cert(61);
    expect(await service().renewIfDue(entity)).toBe('renewed');
    expect(orders).toEqual(['example.com']);
  });

  it('waits out the backoff after a failure, and skips a domain that serves nothing', async () => {
    installed = cert(70);
    const held = servingDomain(store, {
      renewFailures: 2,
      renewNextAttemptAt: new Date(NOW.getTime() + 600_000),
      reissues: [],
    });
    expect(await service().renewIfDue(held)).toBe('not-due');
    const idle = servingDomain(store, { name: 'idle.example', state: 'inactive', reissues: [] });
    expect(await service().renewIfDue(idle)).toBe('skipped');
    expect(orders).toEqual([]);
  });

  it('re-issues by hand at most three times in seven days, and records each', async () => {
    installed = cert(5);
    const entity = servingDomain(store, {
      renewFailures: 0,
      reissues: [new Date(NOW.getTime() - 2 * DAY).toISOString(), new Date(NOW.getTime() - DAY).toISOString()],
    });
    const third = await service().reissue('example.com', 'alice');
    expect(third).toMatchObject({ outcome: 'renewed', allowance: { remaining: 0 } });
    expect(trail).toEqual([expect.objectContaining({ action: 'reissue', detail: 'Certificate re-issued.' })]);
    await expect(service().reissue('example.com', 'alice')).rejects.toThrow(
      'The certificate of example.com was re-issued 3 times in the last 7 days; the next re-issue is allowed from 2026-12-01 12:00 UTC.',
    );
    expect(orders).toEqual(['example.com']);
    expect(store.rows.get(entity.id)!.reissues).toHaveLength(3);
  });

  it('refuses to re-issue for a domain that serves nothing', async () => {
    servingDomain(store, { state: 'inactive', reissues: [] });
    await expect(service().reissue('example.com', 'alice')).rejects.toThrow(ConflictError);
    await expect(service().reissue('example.com', 'alice')).rejects.toThrow(
      "example.com is inactive; only an active domain's certificate can be re-issued.",
    );
    expect(orders).toEqual([]);
  });
});
