import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CertificateInfo, describeCertificate } from '../../src/mta-sts/domain/certificate';
import { CertificateAuthorityError, ConflictError, OperationFailedError } from '../../src/mta-sts/domain/errors';
import { parseDomainName } from '../../src/mta-sts/domain/hostname';
import { ariCertificateId } from '../../src/mta-sts/domain/renewal';
import { RENEWALS_JOB } from '../../src/mta-sts/jobs/scheduled-jobs';
import { MtaStsDomainEntity } from '../../src/mta-sts/persistence';
import { IssuedCertificate } from '../../src/mta-sts/ports';
import { ChecksService } from '../../src/mta-sts/services/checks.service';
import { RetirementService } from '../../src/mta-sts/services/retirement.service';
import { Fakes, SERVER_IPV4, TestApp, createTestApp, issuing } from './helpers/provisioning-app';
import { FakeClock, bundleOf, makeCertificate, makeRenewalFakes } from './helpers/renewal-app';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const DOMAIN = 'example.com';
const POLICY_HOST = `mta-sts.${DOMAIN}`;
const OTHER_DOMAIN = 'example.org';
const OTHER_POLICY_HOST = `mta-sts.${OTHER_DOMAIN}`;
const INACTIVE_DOMAIN = 'example.net';

const iso = (ms: number) => new Date(ms).toISOString();

describe('Certificate renewal through the real MtaStsModule', () => {
  /** Issued at Enable: 90 days. */
  let first: IssuedCertificate;
  let firstInfo: CertificateInfo;
  /** What the CA answers to a renewal: 120 days, so its notAfter differs from the first one's. */
  let renewed: IssuedCertificate;
  let renewedInfo: CertificateInfo;
  /** The other domain's certificates: 30 days (due after 20), then 60 days. */
  let otherFirst: IssuedCertificate;
  let otherFirstInfo: CertificateInfo;
  let otherRenewed: IssuedCertificate;

  let dataDir: string;
  let fakes: Fakes;
  let clock: FakeClock;
  let apps: TestApp[];

  beforeAll(() => {
    first = makeCertificate(POLICY_HOST, 90);
    renewed = makeCertificate(POLICY_HOST, 120);
    otherFirst = makeCertificate(OTHER_POLICY_HOST, 30);
    otherRenewed = makeCertificate(OTHER_POLICY_HOST, 60);
    firstInfo = describeCertificate(first.certificatePem);
    renewedInfo = describeCertificate(renewed.certificatePem);
    otherFirstInfo = describeCertificate(otherFirst.certificatePem);
    expect(renewedInfo.notAfter.getTime()).not.toBe(firstInfo.notAfter.getTime());
  });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-renewal-'));
    fakes = makeRenewalFakes(dataDir, [POLICY_HOST, OTHER_POLICY_HOST]);
    for (const domain of [DOMAIN, OTHER_DOMAIN, INACTIVE_DOMAIN]) {
      fakes.dns.mx.set(domain, [{ exchange: `mx.${domain}`, priority: 10 }]);
      fakes.dns.addresses.set(`mta-sts.${domain}`, { 4: [SERVER_IPV4], 6: [] });
      fakes.dns.txt.set(`_mta-sts.${domain}`, []);
      fakes.dns.txt.set(`_smtp._tls.${domain}`, []);
    }
    fakes.ca.answer = async (host, responder) =>
      issuing(dataDir, host === POLICY_HOST ? first : otherFirst)(host, responder);
    fakes.web.allowReload = true;
    // A minute after the first certificate became valid.
    clock = new FakeClock(new Date(firstInfo.notBefore.getTime() + MINUTE));
    apps = [];
  });

  afterEach(async () => {
    for (const started of apps) await started.app.close();
    rmSync(dataDir, { recursive: true, force: true });
    expect(fakes.unexpected.calls).toEqual([]);
  });

  const bundleFile = (domain = DOMAIN) => join(dataDir, 'certs', domain, 'certificate.pem');
  const readBundle = (domain = DOMAIN) => readFileSync(bundleFile(domain), 'utf8');
  /** Lifetime rule: due with a third of the lifetime left, i.e. after two thirds of it. */
  const dueOf = (info: CertificateInfo) =>
    info.notBefore.getTime() + ((info.notAfter.getTime() - info.notBefore.getTime()) * 2) / 3;

  async function start(): Promise<TestApp> {
    const app = await createTestApp(dataDir, fakes, { clock, random: () => 0.5 });
    apps.push(app);
    return app;
  }

  async function enable(app: TestApp, domain: string): Promise<void> {
    await app.domains.add(domain);
    await app.provisioning.enable(domain);
    await app.provisioning.settled(domain);
    const view = await app.domains.get(domain);
    expect(view.state).toBe('active');
    expect(view.error).toBeNull();
  }

  /** An app with DOMAIN active on `first`; the CA answers later orders with `renewed`. */
  async function activeDomain(): Promise<TestApp> {
    const app = await start();
    await enable(app, DOMAIN);
    expect(readBundle()).toBe(bundleOf(first));
    expect(fakes.ca.issued).toEqual([POLICY_HOST]);
    fakes.ca.answer = issuing(dataDir, renewed);
    return app;
  }

  const entity = (app: TestApp, domain = DOMAIN): Promise<MtaStsDomainEntity> =>
    app.domains.find(parseDomainName(domain));

  const renewIfDue = async (app: TestApp, domain = DOMAIN) => app.renewals.renewIfDue(await entity(app, domain));

  describe('renewIfDue', () => {
    it('is not due before two thirds of the lifetime and shows when it will be', async () => {
      const app = await activeDomain();
      const dueAt = dueOf(firstInfo);
      expect(dueAt).toBe(firstInfo.notBefore.getTime() + 60 * DAY);

      expect(await renewIfDue(app)).toBe('not-due');
      clock.set(new Date(dueAt - 1_000));
      expect(await renewIfDue(app)).toBe('not-due');

      expect(fakes.ca.issued).toEqual([POLICY_HOST]);
      expect(fakes.web.reloads).toBe(0);
      expect(readBundle()).toBe(bundleOf(first));
      const view = await app.domains.get(DOMAIN);
      expect(view.renewal).toEqual({
        dueAt: iso(dueAt),
        failures: 0,
        nextAttemptAt: null,
        lastError: null,
        retryAfter: null,
      });
      expect(view.certificate?.notAfter).toBe(firstInfo.notAfter.toISOString());
    });

    it('renews a due certificate: new bundle on disk, one reload, new dates, fresh checks', async () => {
      const app = await activeDomain();
      const before = await app.domains.get(DOMAIN);
      expect(before.checksRanAt).toBe(clock.now().toISOString());
      clock.set(new Date(dueOf(firstInfo) + 1_000));

      expect(await renewIfDue(app)).toBe('renewed');

      expect(fakes.ca.issued).toEqual([POLICY_HOST, POLICY_HOST]);
      // No ARI from this CA: the order names no certificate it replaces.
      expect(fakes.ca.issueOptions[1]?.replaces).toBeUndefined();
      const bundle = readBundle();
      expect(bundle).toBe(bundleOf(renewed));
      expect(bundle.indexOf('-----BEGIN CERTIFICATE-----')).toBe(0);
      expect(bundle.indexOf('PRIVATE KEY-----')).toBeGreaterThan(bundle.lastIndexOf('-----END CERTIFICATE-----'));
      expect(statSync(bundleFile()).mode & 0o777).toBe(0o600);
      expect(fakes.web.reloads).toBe(1);

      const view = await app.domains.get(DOMAIN);
      expect(view.state).toBe('active');
      expect(view.certificate).toEqual({
        issuer: `${POLICY_HOST} (Integration Test CA)`,
        notBefore: renewedInfo.notBefore.toISOString(),
        notAfter: renewedInfo.notAfter.toISOString(),
      });
      expect(view.renewal).toEqual({
        dueAt: iso(dueOf(renewedInfo)),
        failures: 0,
        nextAttemptAt: null,
        lastError: null,
        retryAfter: null,
      });
      expect(view.checksRanAt).not.toBe(before.checksRanAt);
      expect(view.checksRanAt).toBe(clock.now().toISOString());
      expect(view.checks.every((check) => check.observedAt === clock.now().toISOString())).toBe(true);

      // The renewed certificate is not due yet.
      expect(await renewIfDue(app)).toBe('not-due');
      expect(fakes.ca.issued).toHaveLength(2);
    });

    it('reports a renewal as renewed when only the checks that follow it fail to run', async () => {
      const app = await activeDomain();
      clock.set(new Date(dueOf(firstInfo) + 1_000));
      const checks = vi
        .spyOn(app.app.get(ChecksService), 'run')
        .mockRejectedValueOnce(new Error('SQLITE_BUSY: database is locked'));

      const outcome = await renewIfDue(app);

      expect(checks).toHaveBeenCalledTimes(1);
      // The new certificate is installed, nginx reloaded and the domain row updated ...
      expect(readBundle()).toBe(bundleOf(renewed));
      expect(fakes.web.reloads).toBe(1);
      const view = await app.domains.get(DOMAIN);
      expect(view.certificate?.notAfter).toBe(renewedInfo.notAfter.toISOString());
      // ... so this is a successful renewal, not a failed one with a retry scheduled.
      expect({ outcome, renewal: view.renewal }).toEqual({
        outcome: 'renewed',
        renewal: {
          dueAt: iso(dueOf(renewedInfo)),
          failures: 0,
          nextAttemptAt: null,
          lastError: null,
          retryAfter: null,
        },
      });
    });

    it('keeps the old certificate serving when the CA fails, honours Retry-After, then backs off', async () => {
      const app = await activeDomain();
      const bundleBefore = readBundle();
      clock.set(new Date(dueOf(firstInfo) + 1_000));
      const retryAfter = new Date(clock.now().getTime() + 2 * HOUR);
      const rateLimited = 'The certificate authority is rate-limiting this account or name; try again later.';
      fakes.ca.answer = async () => {
        throw new CertificateAuthorityError(rateLimited, 'urn:ietf:params:acme:error:rateLimited', retryAfter);
      };

      expect(await renewIfDue(app)).toBe('failed');
      expect(fakes.ca.issued).toHaveLength(2);
      expect(readBundle()).toBe(bundleBefore);
      expect(fakes.web.reloads).toBe(0);
      let view = await app.domains.get(DOMAIN);
      expect(view.certificate?.notAfter).toBe(firstInfo.notAfter.toISOString());
      expect(view.renewal).toMatchObject({
        failures: 1,
        lastError: rateLimited,
        retryAfter: retryAfter.toISOString(),
        // Later than the 1-minute backoff: the CA's Retry-After wins.
        nextAttemptAt: retryAfter.toISOString(),
      });

      // Before the Retry-After: no order at all.
      clock.set(new Date(retryAfter.getTime() - 1_000));
      expect(await renewIfDue(app)).toBe('not-due');
      expect(fakes.ca.issued).toHaveLength(2);

      // From then on the CA fails without Retry-After: 10 minutes, 100 minutes, then daily.
      fakes.ca.answer = async () => {
        throw new CertificateAuthorityError('The certificate authority is unavailable.');
      };
      const expectations: Array<[number, number]> = [
        [2, 10 * MINUTE],
        [3, 100 * MINUTE],
        [4, DAY],
        [5, DAY],
      ];
      let attemptAt = retryAfter.getTime();
      for (const [failures, delay] of expectations) {
        clock.set(new Date(attemptAt));
        expect(await renewIfDue(app)).toBe('failed');
        view = await app.domains.get(DOMAIN);
        expect(view.renewal).toMatchObject({
          failures,
          nextAttemptAt: iso(attemptAt + delay),
          lastError: 'The certificate authority is unavailable.',
          retryAfter: null,
        });
        clock.set(new Date(attemptAt + delay - 1_000));
        const orders = fakes.ca.issued.length;
        expect(await renewIfDue(app)).toBe('not-due');
        expect(fakes.ca.issued).toHaveLength(orders);
        attemptAt += delay;
      }
      expect(readBundle()).toBe(bundleBefore);
      expect(fakes.web.reloads).toBe(0);

      // The CA recovers: the next attempt renews and clears the failure record.
      fakes.ca.answer = issuing(dataDir, renewed);
      clock.set(new Date(attemptAt));
      expect(await renewIfDue(app)).toBe('renewed');
      view = await app.domains.get(DOMAIN);
      expect(view.renewal).toEqual({
        dueAt: iso(dueOf(renewedInfo)),
        failures: 0,
        nextAttemptAt: null,
        lastError: null,
        retryAfter: null,
      });
      expect(readBundle()).toBe(bundleOf(renewed));
    });

    it('puts the previous bundle back byte for byte when the reload fails', async () => {
      const app = await activeDomain();
      const bytesBefore = readFileSync(bundleFile());
      clock.set(new Date(dueOf(firstInfo) + 1_000));
      const nginxFailed =
        'nginx rejected the new configuration (nginx -t failed); the previous configuration is still serving.';
      fakes.web.nextReloadError = new OperationFailedError(nginxFailed);

      expect(await renewIfDue(app)).toBe('failed');

      expect(fakes.ca.issued).toEqual([POLICY_HOST, POLICY_HOST]);
      expect(readFileSync(bundleFile()).equals(bytesBefore)).toBe(true);
      expect(statSync(bundleFile()).mode & 0o777).toBe(0o600);
      // The failed reload, then one with the restored files.
      expect(fakes.web.reloads).toBe(2);
      let view = await app.domains.get(DOMAIN);
      expect(view.certificate?.notAfter).toBe(firstInfo.notAfter.toISOString());
      expect(view.renewal).toMatchObject({
        failures: 1,
        lastError: nginxFailed,
        nextAttemptAt: iso(clock.now().getTime() + MINUTE),
        retryAfter: null,
      });

      // A minute later nginx reloads fine and the renewal goes through.
      clock.advance(MINUTE);
      expect(await renewIfDue(app)).toBe('renewed');
      expect(readBundle()).toBe(bundleOf(renewed));
      view = await app.domains.get(DOMAIN);
      expect(view.renewal.failures).toBe(0);
      expect(view.certificate?.notAfter).toBe(renewedInfo.notAfter.toISOString());
    });

    it('renews inside the CA’s ARI window and names the replaced certificate in the order', async () => {
      const app = await activeDomain();
      const certificateId = ariCertificateId(first.certificatePem);
      const window = {
        start: new Date(clock.now().getTime() + 10 * DAY),
        end: new Date(clock.now().getTime() + 12 * DAY),
      };
      fakes.ca.renewalWindow = (id) => (id === certificateId ? window : undefined);
      const middle = window.start.getTime() + DAY;

      expect(await renewIfDue(app)).toBe('not-due');
      expect(fakes.ca.renewalInfoRequests).toContain(certificateId);
      let view = await app.domains.get(DOMAIN);
      expect(view.renewal.dueAt).toBe(iso(middle));
      expect(new Date(view.renewal.dueAt!) >= window.start && new Date(view.renewal.dueAt!) <= window.end).toBe(true);
      expect(fakes.ca.issued).toEqual([POLICY_HOST]);

      clock.set(new Date(middle - 1_000));
      expect(await renewIfDue(app)).toBe('not-due');
      expect(fakes.ca.issued).toEqual([POLICY_HOST]);

      clock.set(new Date(middle));
      expect(await renewIfDue(app)).toBe('renewed');
      expect(fakes.ca.issued).toEqual([POLICY_HOST, POLICY_HOST]);
      expect(fakes.ca.issueOptions[1]).toEqual({ replaces: certificateId });
      expect(readBundle()).toBe(bundleOf(renewed));
      view = await app.domains.get(DOMAIN);
      expect(view.certificate?.notAfter).toBe(renewedInfo.notAfter.toISOString());
    });

    it('picks the moment inside the ARI window at random even when the lifetime due time lies in the window', async () => {
      // RFC 9773 §4.2: a uniformly random moment inside the window; with random 0.5 the middle.
      // Let's Encrypt's windows lie around two thirds of the lifetime, so the lifetime due
      // time stored at Enable is usually inside them; it was not picked from the window.
      const app = await activeDomain();
      const lifetimeDue = dueOf(firstInfo);
      const window = { start: new Date(lifetimeDue - DAY / 2), end: new Date(lifetimeDue + (3 * DAY) / 2) };
      fakes.ca.renewalWindow = () => window;

      expect(await renewIfDue(app)).toBe('not-due');

      const view = await app.domains.get(DOMAIN);
      expect(view.renewal.dueAt).toBe(iso(lifetimeDue + DAY / 2));
    });

    it('skips a removed domain and a domain that was never enabled', async () => {
      const app = await activeDomain();
      await app.domains.add(INACTIVE_DOMAIN);
      await app.app.get(RetirementService).removeNow(DOMAIN);
      expect((await app.domains.get(DOMAIN)).state).toBe('removed');
      clock.set(new Date(dueOf(firstInfo) + DAY));

      expect(await renewIfDue(app)).toBe('skipped');
      expect(await renewIfDue(app, INACTIVE_DOMAIN)).toBe('skipped');

      expect(fakes.ca.issued).toEqual([POLICY_HOST]);
      expect(fakes.web.reloads).toBe(0);
      // The kept certificate is untouched.
      expect(readBundle()).toBe(bundleOf(first));
    });
  });

  describe('reissue', () => {
    it('allows three manual re-issues a week, then says from when the next one is allowed', async () => {
      const app = await activeDomain();
      const firstReissueAt = clock.now().getTime();

      const remaining: number[] = [];
      for (let index = 0; index < 3; index++) {
        const result = await app.renewals.reissue(DOMAIN);
        expect(result.outcome).toBe('renewed');
        remaining.push(result.allowance.remaining);
        clock.advance(HOUR);
      }
      expect(remaining).toEqual([2, 1, 0]);
      expect(fakes.ca.issued).toEqual([POLICY_HOST, POLICY_HOST, POLICY_HOST, POLICY_HOST]);
      expect(readBundle()).toBe(bundleOf(renewed));
      const nextAllowedAt = iso(firstReissueAt + 7 * DAY);
      let view = await app.domains.get(DOMAIN);
      expect(view.reissue).toEqual({ limit: 3, remaining: 0, nextAllowedAt });

      const refused = app.renewals.reissue(DOMAIN);
      await expect(refused).rejects.toBeInstanceOf(ConflictError);
      // The date in the words admins read.
      await expect(refused).rejects.toThrow(`allowed from ${nextAllowedAt.slice(0, 16).replace('T', ' ')} UTC.`);
      expect(fakes.ca.issued).toHaveLength(4);

      clock.set(new Date(firstReissueAt + 7 * DAY + 1_000));
      const again = await app.renewals.reissue(DOMAIN);
      expect(again.outcome).toBe('renewed');
      expect(again.allowance.remaining).toBe(0);
      expect(again.allowance.nextAllowedAt).toEqual(new Date(firstReissueAt + HOUR + 7 * DAY));
      expect(fakes.ca.issued).toHaveLength(5);
      view = await app.domains.get(DOMAIN);
      expect(view.reissue.remaining).toBe(0);
    });

    it('refuses to re-issue the certificate of a domain that no longer serves a policy', async () => {
      const app = await activeDomain();
      await app.app.get(RetirementService).removeNow(DOMAIN);

      const attempt = app.renewals.reissue(DOMAIN);
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      await expect(attempt).rejects.toThrow(/example\.com is removed/);
      expect(fakes.ca.issued).toEqual([POLICY_HOST]);
      expect((await app.domains.get(DOMAIN)).reissue.remaining).toBe(3);
    });
  });

  describe('ScheduledJobs', () => {
    it('renews only the due domain of two active ones and checks every active domain', async () => {
      const app = await start();
      await enable(app, DOMAIN);
      await enable(app, OTHER_DOMAIN);
      await app.domains.add(INACTIVE_DOMAIN);
      fakes.ca.answer = async (host, responder) =>
        issuing(dataDir, host === POLICY_HOST ? renewed : otherRenewed)(host, responder);
      // The 30-day certificate is due after 20 days; the 90-day one only after 60.
      clock.set(new Date(dueOf(otherFirstInfo) + 1_000));
      expect(clock.now().getTime()).toBeLessThan(dueOf(firstInfo));

      const report = await app.jobs.runRenewals();

      expect(report).toEqual({ processed: 2, failed: 0, timedOut: 0, failures: [] });
      expect(fakes.ca.issued).toEqual([POLICY_HOST, OTHER_POLICY_HOST, OTHER_POLICY_HOST]);
      expect(readBundle(OTHER_DOMAIN)).toBe(bundleOf(otherRenewed));
      expect(readBundle(DOMAIN)).toBe(bundleOf(first));
      expect(fakes.web.reloads).toBe(1);
      expect((await app.domains.get(OTHER_DOMAIN)).certificate?.notAfter).toBe(
        describeCertificate(otherRenewed.certificatePem).notAfter.toISOString(),
      );

      clock.advance(HOUR);
      const checks = await app.jobs.runChecks();
      expect(checks).toEqual({ processed: 2, failed: 0, timedOut: 0, failures: [] });
      for (const domain of [DOMAIN, OTHER_DOMAIN]) {
        expect((await app.domains.get(domain)).checksRanAt).toBe(clock.now().toISOString());
      }
      expect((await app.domains.get(INACTIVE_DOMAIN)).checksRanAt).toBeNull();
    });

    it('does not leave an unhandled rejection when a scheduled renewal run cannot list the domains', async () => {
      const app = await start();
      const unhandled: unknown[] = [];
      const emit = process.emit.bind(process);
      // Intercept Node's unhandled-rejection event (which would otherwise end the process).
      const spy = vi.spyOn(process, 'emit').mockImplementation(((event: string, ...args: unknown[]) => {
        if (event === 'unhandledRejection') {
          unhandled.push(args[0]);
          return true;
        }
        return (emit as (event: string, ...args: unknown[]) => boolean)(event, ...args);
      }) as typeof process.emit);
      let listed = false;
      // The database fails while the sweep reads the first page of domains.
      vi.spyOn(app.domains, 'stream').mockImplementation(() => ({
        [Symbol.asyncIterator]: () => ({
          next: async (): Promise<IteratorResult<MtaStsDomainEntity>> => {
            listed = true;
            throw new Error('SQLITE_BUSY: database is locked');
          },
        }),
      }));
      try {
        // What the cron does at the scheduled time.
        await app.app.get(SchedulerRegistry).getCronJob(RENEWALS_JOB).fireOnTick();
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        spy.mockRestore();
      }
      expect(listed).toBe(true);
      expect(unhandled).toEqual([]);
    });
  });
});
