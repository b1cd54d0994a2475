import type { CertificateInfo } from '../../../src/mta-sts/domain/certificate';
import { DomainName } from '../../../src/mta-sts/domain/hostname';
import { renderPolicy } from '../../../src/mta-sts/domain/policy';
import type { AuditService } from '../../../src/mta-sts/services/audit.service';
import type { CertificateIssuer } from '../../../src/mta-sts/services/certificate-issuer';
import type { ChecksService } from '../../../src/mta-sts/services/checks.service';
import { EnableRun } from '../../../src/mta-sts/services/enable-run';
import { EnableOutcomes } from '../../../src/mta-sts/services/enable-outcomes';
import { ClusterLocks } from '../../../src/mta-sts/services/cluster/cluster-locks';
import type { PolicyHost } from '../../../src/mta-sts/services/policy-host';
import type { PreflightService } from '../../../src/mta-sts/services/preflight.service';
import { OperationFailedError } from '../../../src/mta-sts/domain/errors';
import { FakeDomainStore } from './fake-domain-store';

const NOW = new Date('2026-11-26T12:00:00Z');
const NAME = DomainName.fromValidated('example.com');
const DIRECTORY = 'https://ca.example/directory';
const CERT: CertificateInfo = {
  issuer: 'Test CA',
  subject: 'CN=mta-sts.example.com',
  notBefore: new Date('2026-11-20T00:00:00Z'),
  notAfter: new Date('2027-02-18T00:00:00Z'),
  dnsNames: ['mta-sts.example.com'],
  serialNumber: '01',
  fingerprint256: 'AA:BB',
};

/** EnableRun's steps against an in-memory store and stand-ins that log what they are asked. */
describe('EnableRun', () => {
  let store: FakeDomainStore;
  let calls: string[];
  let failing: string | undefined;
  let storedCertificate: CertificateInfo | undefined;

  function run(): EnableRun {
    const act = (name: string) => {
      calls.push(name);
      if (name === failing) throw new OperationFailedError(`${name} failed`, 'details');
    };
    const host = {
      writePolicy: async () => act('write-policy'),
      serve: async (_name: DomainName, tls: boolean) => act(tls ? 'serve-https' : 'serve-http'),
      publishRecords: async (_name: DomainName, wait: boolean) => act(wait ? 'publish-address' : 'publish-id'),
    } as unknown as PolicyHost;
    const issuer = {
      directoryUrl: DIRECTORY,
      stored: async () => (storedCertificate ? { info: storedCertificate } : undefined),
      issue: async () => {
        act('issue');
        return CERT;
      },
    } as unknown as CertificateIssuer;
    const preflight = {
      assertResolvesHere: async () => act('dns-check'),
      assertServesChallenges: async () => act('http-probe'),
      assertServesPolicy: async () => act('self-check'),
    } as unknown as PreflightService;
    const checks = { run: async () => act('checks'), refreshBadge: async () => undefined } as unknown as ChecksService;
    const audit = { log: () => undefined } as unknown as AuditService;
    const clock = { now: () => NOW };
    const outcomes = new EnableOutcomes(store, clock, host, checks, audit);
    return new EnableRun(store, clock, host, issuer, preflight, outcomes, new ClusterLocks());
  }

  beforeEach(() => {
    store = new FakeDomainStore();
    calls = [];
    failing = undefined;
    storedCertificate = undefined;
    const text = renderPolicy({ mode: 'testing', mx: ['mx.example.com'], maxAge: 604_800 });
    store.put({
      name: 'example.com',
      state: 'provisioning',
      mode: 'testing',
      maxAge: 604_800,
      mx: ['mx.example.com'],
      policyId: '20261126T115900n1',
      policyText: text,
      servedPolicyId: null,
      policyVisibleAt: null,
      largestMaxAgeServed: 0,
      certDirectoryUrl: null,
    });
  });

  const steps = () =>
    store.applied.filter((entry) => entry.transition.patch.step).map((entry) => entry.transition.patch.step);

  it('runs every step in order, cheap checks before the certificate, and ends active', async () => {
    const enable = run();
    enable.start(NAME);
    await enable.settled(NAME);
    expect(steps()).toEqual([
      'policy-file',
      'http-vhost',
      'dns-check',
      'http-probe',
      'certificate',
      'https-vhost',
      'self-check',
    ]);
    expect(calls).toEqual([
      'write-policy',
      'serve-http',
      // Where the panel writes the zone, the address first; the id only once served (RFC 8461 §8.1).
      'publish-address',
      'dns-check',
      'http-probe',
      'issue',
      'serve-https',
      'self-check',
      'checks',
      'publish-id',
    ]);
    const row = (await store.findByName('example.com'))!;
    expect([row.state, row.step, row.enabledAt, row.servedPolicyId]).toEqual([
      'active',
      null,
      NOW,
      '20261126T115900n1',
    ]);
  });

  it('puts a kept certificate from the same CA straight back into service', async () => {
    storedCertificate = CERT;
    await store.update(1, { certDirectoryUrl: DIRECTORY });
    const enable = run();
    enable.start(NAME);
    await enable.settled(NAME);
    expect(calls).toEqual(['write-policy', 'serve-https', 'self-check', 'checks', 'publish-id']);
    expect((await store.findByName('example.com'))?.state).toBe('active');
  });

  it('stops at the failing step, records it with the reason, and goes no further', async () => {
    failing = 'http-probe';
    const enable = run();
    enable.start(NAME);
    await enable.settled(NAME);
    expect(calls).toEqual(['write-policy', 'serve-http', 'publish-address', 'dns-check', 'http-probe']);
    const row = (await store.findByName('example.com'))!;
    expect([row.state, row.step, row.errorStep]).toEqual(['error', null, 'http-probe']);
    expect(row.errorMessage).toBe('http-probe failed Details: details');
  });
});
