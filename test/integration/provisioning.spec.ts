import 'reflect-metadata';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ConflictError, DomainNotFoundError, OperationFailedError } from '../../src/mta-sts/domain/errors';
import { MtaStsDomainEntity } from '../../src/mta-sts/persistence';
import { IssuedCertificate } from '../../src/mta-sts/ports';
import { RetirementService } from '../../src/mta-sts/services/retirement.service';
import { waitUntil } from './helpers/fakes';
import { Fakes, TestApp, SERVER_IPV4, createTestApp, issuing, makeFakes } from './helpers/provisioning-app';
import { makeTestCertificate } from './helpers/test-certificate';

const DOMAIN = 'example.com';
const POLICY_HOST = `mta-sts.${DOMAIN}`;

describe('Provisioning through the real MtaStsModule', () => {
  let certificate: IssuedCertificate;
  let dataDir: string;
  let fakes: Fakes;
  let apps: TestApp[];

  beforeAll(() => {
    certificate = makeTestCertificate(POLICY_HOST);
  });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-provisioning-'));
    fakes = makeFakes(dataDir, certificate, [POLICY_HOST]);
    fakes.dns.mx.set(DOMAIN, [{ exchange: 'mx.example.com', priority: 10 }]);
    fakes.dns.addresses.set(POLICY_HOST, { 4: [SERVER_IPV4], 6: [] });
    // The admin has not published the TXT records yet: the first checks after Enable say so.
    fakes.dns.txt.set(`_mta-sts.${DOMAIN}`, []);
    fakes.dns.txt.set(`_smtp._tls.${DOMAIN}`, []);
    fakes.ca.answer = issuing(dataDir, certificate);
    apps = [];
  });

  afterEach(async () => {
    for (const started of apps) {
      await started.provisioning.settled(DOMAIN);
      await started.app.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
    expect(fakes.unexpected.calls).toEqual([]);
  });

  async function start(current: Fakes = fakes): Promise<TestApp> {
    const started = await createTestApp(dataDir, current);
    apps.push(started);
    return started;
  }

  const policyFile = () => join(dataDir, 'policies', `${DOMAIN}.txt`);
  const bundleFile = () => join(dataDir, 'certs', DOMAIN, 'certificate.pem');
  const retirementOf = (app: TestApp) => app.app.get(RetirementService);
  const bundleOf = (issued: { certificatePem: string; privateKeyPem: string }) =>
    `${issued.certificatePem.trim()}\n${issued.privateKeyPem.trim()}\n`;

  async function enableAndSettle(app: TestApp) {
    await app.provisioning.enable(DOMAIN);
    await app.provisioning.settled(DOMAIN);
    return app.domains.get(DOMAIN);
  }

  async function activeDomain(): Promise<TestApp> {
    const app = await start();
    await app.domains.add(DOMAIN);
    const view = await enableAndSettle(app);
    expect(view.state).toBe('active');
    return app;
  }

  it('refuses to enable a domain without MX records and touches neither disk nor nginx', async () => {
    fakes.dns.mx.set(DOMAIN, []);
    const app = await start();
    await app.domains.add(DOMAIN);

    const attempt = app.provisioning.enable(DOMAIN);
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toThrow(/example\.com has no MX records.*Publish the MX records/);

    expect(existsSync(policyFile())).toBe(false);
    expect(fakes.web.calls).toBe(0);
    expect(fakes.ca.issued).toEqual([]);
    const view = await app.domains.get(DOMAIN);
    expect(view.state).toBe('inactive');
    expect(view.mxProblem).toMatch(/no MX records/);
  });

  it('refuses to enable a domain that publishes a null MX, citing RFC 7505', async () => {
    fakes.dns.mx.set(DOMAIN, [{ exchange: '', priority: 0 }]);
    const app = await start();
    await app.domains.add(DOMAIN);

    const attempt = app.provisioning.enable(DOMAIN);
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toThrow(/null MX record \(RFC 7505\)/);
    expect(existsSync(policyFile())).toBe(false);
    expect(fakes.web.calls).toBe(0);
  });

  it('starts one provisioning for two concurrent enables and serves the policy with a private key of mode 0600', async () => {
    const app = await start();
    await app.domains.add(DOMAIN);

    const results = await Promise.all([app.provisioning.enable(DOMAIN), app.provisioning.enable(DOMAIN)]);
    expect(results.map((result) => result.started).sort()).toEqual([false, true]);
    await app.provisioning.settled(DOMAIN);

    const view = await app.domains.get(DOMAIN);
    expect(view.state).toBe('active');
    expect(view.error).toBeNull();
    expect(fakes.ca.issued).toEqual([POLICY_HOST]);
    expect(view.policy).not.toBeNull();
    expect(view.policy!.text).toBe('version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 604800\r\n');
    expect(readFileSync(policyFile(), 'utf8')).toBe(view.policy!.text);
    expect(view.servedPolicyId).toBe(view.policy!.id);
    expect(view.certificate?.issuer).toBe(`${POLICY_HOST} (Integration Test CA)`);
    // The first checks ran at once: the card shows what is still missing (the TXT records).
    expect(view.checks.map((check) => [check.check, check.status])).toEqual([
      ['dns', 'pass'],
      ['https', 'pass'],
      ['certificate', 'fail'], // a self-signed test certificate is not publicly trusted
      ['policy-record', 'fail'],
      ['tls-rpt', 'warn'],
      ['mx-coverage', 'pass'],
      ['mx-tls', 'pass'],
    ]);
    expect(view.badge).toBe('error');
    expect(view.renewal.dueAt).not.toBeNull();
    expect(readFileSync(bundleFile(), 'utf8')).toBe(bundleOf(certificate));
    expect(statSync(bundleFile()).mode & 0o777).toBe(0o600);
    expect(fakes.web.applied.map((site) => site.tls)).toEqual([undefined, { bundleFile: bundleFile() }]);
    expect(fakes.web.applied[0]).toMatchObject({
      host: POLICY_HOST,
      policyFile: policyFile(),
      acmeWebroot: join(dataDir, 'webroot'),
    });
  });

  it('stops at dns-check, before any order, when the policy host points at another address', async () => {
    fakes.dns.addresses.set(POLICY_HOST, { 4: ['198.51.100.7'], 6: [] });
    fakes.ca.answer = undefined;
    const app = await start();
    await app.domains.add(DOMAIN);

    const view = await enableAndSettle(app);
    expect(view.state).toBe('error');
    expect(view.error?.step).toBe('dns-check');
    expect(view.error?.message).toContain('198.51.100.7');
    expect(view.error?.message).toContain(`expected only ${SERVER_IPV4}`);
    expect(fakes.ca.issued).toEqual([]);
    expect(fakes.http.requests).toEqual([]);
  });

  it('stops at dns-check and asks to remove the AAAA record when no IPv6 address is configured', async () => {
    fakes.dns.addresses.set(POLICY_HOST, { 4: [SERVER_IPV4], 6: ['2001:db8::1'] });
    fakes.ca.answer = undefined;
    const app = await start();
    await app.domains.add(DOMAIN);

    const view = await enableAndSettle(app);
    expect(view.state).toBe('error');
    expect(view.error?.step).toBe('dns-check');
    expect(view.error?.message).toContain('2001:db8::1');
    expect(view.error?.message).toContain('remove that AAAA record');
    expect(fakes.ca.issued).toEqual([]);
  });

  it('records a certificate failure without configuring HTTPS, and a later enable succeeds', async () => {
    fakes.ca.answer = async () => {
      throw new OperationFailedError(
        'The certificate authority is rate-limiting this account or name; try again later.',
        'urn:ietf:params:acme:error:rateLimited: too many certificates',
      );
    };
    const app = await start();
    await app.domains.add(DOMAIN);

    const failed = await enableAndSettle(app);
    expect(failed.state).toBe('error');
    expect(failed.error?.step).toBe('certificate');
    expect(failed.error?.message).toContain('rate-limiting');
    expect(failed.certificate).toBeNull();
    expect(fakes.web.applied.length).toBeGreaterThan(0);
    expect(fakes.web.applied.every((site) => site.tls === undefined)).toBe(true);
    expect(existsSync(bundleFile())).toBe(false);

    fakes.ca.answer = issuing(dataDir, certificate);
    const fixed = await enableAndSettle(app);
    expect(fixed.state).toBe('active');
    expect(fixed.error).toBeNull();
    expect(fakes.ca.issued).toEqual([POLICY_HOST, POLICY_HOST]);
    expect(fakes.web.applied.at(-1)?.tls).toEqual({ bundleFile: bundleFile() });
  });

  it('records an nginx failure at http-vhost with nginx’s own message', async () => {
    fakes.ca.answer = undefined;
    fakes.web.nextApplyError = new OperationFailedError(
      'nginx rejected the new configuration (nginx -t failed); the previous configuration is still serving.',
      'nginx: [emerg] unknown directive "ssl_reject_handshake" in /etc/nginx/conf.d/mta-sts.conf:3',
    );
    const app = await start();
    await app.domains.add(DOMAIN);

    const view = await enableAndSettle(app);
    expect(view.state).toBe('error');
    expect(view.error?.step).toBe('http-vhost');
    expect(view.error?.message).toContain('nginx -t failed');
    expect(view.error?.message).toContain('nginx: [emerg] unknown directive "ssl_reject_handshake"');
    expect(fakes.ca.issued).toEqual([]);
  });

  it('refuses to retire or remove a domain while it is being provisioned', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const issue = issuing(dataDir, certificate);
    fakes.ca.answer = async (host, responder) => {
      await gate;
      return issue(host, responder);
    };
    const app = await start();
    await app.domains.add(DOMAIN);
    await app.provisioning.enable(DOMAIN);
    await waitUntil('the certificate order', () => fakes.ca.issued.length === 1);

    try {
      for (const attempt of [retirementOf(app).retire(DOMAIN), retirementOf(app).removeNow(DOMAIN)]) {
        await expect(attempt).rejects.toBeInstanceOf(ConflictError);
        await expect(attempt).rejects.toThrow(/being provisioned/);
      }
      expect(fakes.web.removed).toEqual([]);
      expect((await app.domains.get(DOMAIN)).state).toBe('provisioning');
    } finally {
      release();
    }
    await app.provisioning.settled(DOMAIN);
    expect((await app.domains.get(DOMAIN)).state).toBe('active');
  });

  it('removes an active domain now: removes the site and the policy, keeps the certificate, lists records to remove', async () => {
    const app = await activeDomain();
    const servedId = (await app.domains.get(DOMAIN)).servedPolicyId;
    expect(servedId).toMatch(/^\d{8}T\d{6}n\d+$/);

    const result = await retirementOf(app).removeNow(DOMAIN);
    expect(fakes.web.removed).toEqual([POLICY_HOST]);
    expect(existsSync(policyFile())).toBe(false);
    expect(readFileSync(bundleFile(), 'utf8')).toBe(bundleOf(certificate));
    // A policy was served, so senders may still hold it: removed, not merely inactive.
    expect(result.domain.state).toBe('removed');
    expect(result.domain.badge).toBe('inactive');
    expect(result.domain.servedPolicyId).toBeNull();
    expect(result.recordsToRemove).toEqual([
      expect.objectContaining({ name: `_mta-sts.${DOMAIN}`, type: 'TXT', value: `v=STSv1; id=${servedId}` }),
      expect.objectContaining({ name: POLICY_HOST, type: 'A', value: SERVER_IPV4 }),
    ]);
    expect(result.note).toMatch(/Remove the _mta-sts\.example\.com TXT record first/);
    expect((await app.domains.get(DOMAIN)).state).toBe('removed');
  });

  it('retires an active domain: serves mode none with max_age 86400 and a new id, and keeps the site until cached policies expire', async () => {
    const app = await activeDomain();
    const before = await app.domains.get(DOMAIN);
    const startedAt = Date.now();

    const result = await retirementOf(app).retire(DOMAIN);
    expect(result.domain.state).toBe('retiring');
    expect(result.domain.badge).toBe('retiring');
    expect(result.domain.mode).toBe('none');
    expect(result.domain.maxAge).toBe(86_400);
    const policy = readFileSync(policyFile(), 'utf8');
    expect(policy).toMatch(/^version: STSv1\r\nmode: none\r\n/);
    expect(policy).toContain('max_age: 86400\r\n');
    expect(result.domain.policy!.text).toBe(policy);
    expect(result.domain.servedPolicyId).toBe(result.domain.policy!.id);
    expect(result.domain.servedPolicyId).not.toBe(before.servedPolicyId);
    expect(result.publish).toMatchObject({
      name: `_mta-sts.${DOMAIN}`,
      type: 'TXT',
      value: `v=STSv1; id=${result.domain.servedPolicyId}`,
    });
    // The host stays until the week-long testing policy and the TXT TTL (1 h) have passed.
    const removeAt = Date.parse(result.removeAt);
    expect(removeAt).toBeGreaterThanOrEqual(startedAt + (604_800 + 3_600) * 1000);
    expect(removeAt).toBeLessThanOrEqual(Date.now() + (604_800 + 3_600) * 1000);
    expect(result.domain.lifecycle.retireUntil).toBe(result.removeAt);
    expect(fakes.web.removed).toEqual([]);
    expect((await app.domains.get(DOMAIN)).state).toBe('retiring');

    // Asking again changes nothing.
    const again = await retirementOf(app).retire(DOMAIN);
    expect(again.removeAt).toBe(result.removeAt);
    expect(again.domain.servedPolicyId).toBe(result.domain.servedPolicyId);
  });

  it('reuses the kept certificate when a removed domain is enabled again', async () => {
    const app = await activeDomain();
    await retirementOf(app).removeNow(DOMAIN);
    const sitesBefore = fakes.web.applied.length;

    const view = await enableAndSettle(app);
    expect(view.state).toBe('active');
    expect(fakes.ca.issued).toEqual([POLICY_HOST]);
    expect(readFileSync(policyFile(), 'utf8')).toBe(view.policy!.text);
    expect(fakes.web.applied.slice(sitesBefore).map((site) => site.tls)).toEqual([{ bundleFile: bundleFile() }]);
  });

  it('refuses to delete an active domain and reports unknown domains as not found', async () => {
    const app = await activeDomain();

    const removal = app.domains.remove(DOMAIN);
    await expect(removal).rejects.toBeInstanceOf(ConflictError);
    await expect(removal).rejects.toThrow(/disable it first/);
    expect((await app.domains.get(DOMAIN)).state).toBe('active');

    await expect(app.domains.remove('unknown.example')).rejects.toBeInstanceOf(DomainNotFoundError);
    await expect(app.domains.get('unknown.example')).rejects.toBeInstanceOf(DomainNotFoundError);
    await expect(app.provisioning.enable('unknown.example')).rejects.toBeInstanceOf(DomainNotFoundError);
    await expect(retirementOf(app).retire('unknown.example')).rejects.toBeInstanceOf(DomainNotFoundError);
    await expect(retirementOf(app).removeNow('unknown.example')).rejects.toBeInstanceOf(DomainNotFoundError);
  });

  it('resumes a domain left in provisioning when the application starts again', async () => {
    const first = await start();
    await first.domains.add(DOMAIN);
    await first.app
      .get(DataSource)
      .getRepository(MtaStsDomainEntity)
      .update({ name: DOMAIN }, { state: 'provisioning', step: 'certificate' });
    await first.app.close();
    apps = [];
    expect(fakes.web.calls).toBe(0);
    expect(fakes.ca.issued).toEqual([]);

    const second = await start();
    await second.provisioning.settled(DOMAIN);
    const view = await second.domains.get(DOMAIN);
    expect(view.state).toBe('active');
    expect(fakes.ca.issued).toEqual([POLICY_HOST]);
    expect(readFileSync(policyFile(), 'utf8')).toBe(view.policy!.text);
  });
});
