import type { CertificateInfo } from '../../../src/mta-sts/domain/certificate';
import { CertificateAuthorityError } from '../../../src/mta-sts/domain/errors';
import type { AuditService } from '../../../src/mta-sts/services/audit.service';
import type { ChecksService } from '../../../src/mta-sts/services/checks.service';
import type { NotificationsService } from '../../../src/mta-sts/services/notifications.service';
import { RenewalOutcomes } from '../../../src/mta-sts/services/renewal-outcomes';
import { FakeDomainStore } from './fake-domain-store';
import { NOW, servingDomain } from './serving-domain';
import { standIn } from './stand-in';

const MINUTE = 60_000;
const CERT: CertificateInfo = {
  issuer: 'Test CA',
  subject: 'CN=mta-sts.example.com',
  notBefore: new Date('2026-11-26T11:00:00Z'),
  notAfter: new Date('2027-02-24T11:00:00Z'),
  dnsNames: ['mta-sts.example.com'],
  serialNumber: '02',
  fingerprint256: 'CC:DD',
};

/** What follows a renewal, against an in-memory store and strict stand-ins. */
describe('RenewalOutcomes', () => {
  let store: FakeDomainStore;
  let logged: Array<{ action: string; outcome: string; detail?: string }>;
  let notices: Array<{ kind: string; subject: string; text: string }>;
  let checked: string[];
  let checksFail: boolean;

  function outcomes(): RenewalOutcomes {
    const checks = standIn<ChecksService>('ChecksService', {
      run: async (entity: { name: string }) => {
        if (checksFail) throw new Error('resolver gone');
        checked.push(entity.name);
        return [];
      },
    });
    const audit = standIn<AuditService>('AuditService', {
      log: (entry: (typeof logged)[number]) => {
        logged.push(entry);
      },
    });
    const notifications = standIn<NotificationsService>('NotificationsService', {
      send: (notice: (typeof notices)[number]) => {
        notices.push(notice);
      },
    });
    return new RenewalOutcomes(store, { now: () => NOW }, checks, audit, notifications);
  }

  beforeEach(() => {
    store = new FakeDomainStore();
    logged = [];
    notices = [];
    checked = [];
    checksFail = false;
  });

  it('records the new certificate, forgets earlier failures, and has the checks confirm it', async () => {
    const entity = servingDomain(store, { renewFailures: 2, renewLastError: 'timeout' });
    expect(await outcomes().renewed(entity, CERT, 'https://ca.example/dir')).toBe('renewed');
    expect(store.rows.get(entity.id)).toMatchObject({
      certNotAfter: CERT.notAfter,
      certDirectoryUrl: 'https://ca.example/dir',
      renewFailures: 0,
      renewLastError: null,
      renewNextAttemptAt: null,
    });
    expect(logged).toEqual([
      expect.objectContaining({
        action: 'renew',
        outcome: 'done',
        detail: 'Renewed the certificate of mta-sts.example.com; valid until 2027-02-24T11:00:00.000Z.',
      }),
    ]);
    expect(checked).toEqual(['example.com']);
  });

  it('counts a renewal as done when only the checks after it fail to run', async () => {
    const entity = servingDomain(store, { renewFailures: 0 });
    checksFail = true;
    expect(await outcomes().renewed(entity, CERT, 'https://ca.example/dir')).toBe('renewed');
  });

  it('backs off after each failure, never before the CA’s Retry-After, and tells the admin once per run of failures', async () => {
    const entity = servingDomain(store, { renewFailures: 0, certNotAfter: new Date('2026-12-20T00:00:00Z') });
    await outcomes().failed(entity, new CertificateAuthorityError('The CA is rate-limiting this account.'));
    expect(store.rows.get(entity.id)).toMatchObject({
      renewFailures: 1,
      renewNextAttemptAt: new Date(NOW.getTime() + MINUTE),
      renewLastError: 'The CA is rate-limiting this account.',
    });
    expect(notices).toEqual([
      expect.objectContaining({
        kind: 'renewal-failed',
        subject: 'example.com: certificate renewal failed',
        text: expect.stringContaining('The current certificate keeps serving until 2026-12-20 00:00 UTC.'),
      }),
    ]);
    const retryAfter = new Date(NOW.getTime() + 3 * 3_600_000);
    await outcomes().failed(
      store.rows.get(entity.id)!,
      new CertificateAuthorityError('Too many orders.', 'rateLimited', retryAfter),
    );
    expect(store.rows.get(entity.id)).toMatchObject({
      renewFailures: 2,
      renewNextAttemptAt: retryAfter,
      renewRetryAfter: retryAfter,
    });
    expect(notices).toHaveLength(1);
    expect(logged.map((entry) => entry.outcome)).toEqual(['failed', 'failed']);
  });

  it('words an error that is not the panel’s own as unexpected, with its message', async () => {
    const entity = servingDomain(store, { renewFailures: 0 });
    await outcomes().failed(entity, new TypeError('x is undefined'));
    expect(store.rows.get(entity.id)!.renewLastError).toBe('Unexpected error: x is undefined');
  });
});
