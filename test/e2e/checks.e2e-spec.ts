import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECK_IDS } from '../../src/mta-sts/domain/checks';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';
import { execFileAsync, waitFor } from '../support/processes';
import { LoopbackSmtpServer, LoopbackSmtpServerOptions, startSmtpServer } from '../support/smtp-server';
import { TestCa } from '../support/test-ca';

type Check = DomainView['checks'][number];

/**
 * Each readiness check made to fail for the right reason against real services: dnsmasq
 * for DNS, the nginx the module configured (then deliberately misconfigured), a real SMTP
 * server for the MX host's STARTTLS probe, and certificates from Pebble or from a CA made here.
 */
describe('Readiness checks against real DNS, nginx and certificates', () => {
  const domain = 'checks.test';
  const ipv6 = 'fd00::53';
  let lab: Lab;
  let panel: Panel;
  let policyId: string;
  /** Issues the MX host's certificate; the checks trust it next to Pebble's root. */
  let mxCa: TestCa;
  let smtp: LoopbackSmtpServer | undefined;

  const siteFile = () => join(lab.nginx.sitesDir, `mta-sts.${domain}.conf`);
  const bundleFile = () => join(lab.dataDir, 'certs', domain, 'certificate.pem');

  async function runChecks(): Promise<Record<string, Check>> {
    const answer = await panel.api<DomainView>('POST', `/api/domains/${domain}/checks`);
    expect(answer.status).toBe(200);
    return Object.fromEntries(answer.body.checks.map((check) => [check.check, check]));
  }

  /** A real SMTP server answering for `mx.<domain>` on the lab's address, port 25. */
  async function serveMx(options: LoopbackSmtpServerOptions): Promise<void> {
    await smtp?.stop();
    smtp = await startSmtpServer({ host: lab.address, port: 25, ...options });
  }

  /** The panel's environment: checks trust Pebble's root and the MX host's CA. */
  const env = (extra: Record<string, string> = {}) =>
    lab.env({ MTA_STS_CHECK_CA_FILE: lab.checksCaFile(mxCa.certificatePem), ...extra });

  async function reloadNginx(): Promise<void> {
    await execFileAsync('nginx', [...lab.nginx.args, '-s', 'reload']);
  }

  /**
   * Waits until nginx answers as `ready` says, several times in a row: after a reload the
   * old workers keep accepting connections for a moment.
   */
  async function whenServing(ready: (contentType: string | undefined, status: number) => boolean): Promise<void> {
    let streak = 0;
    await waitFor('nginx to serve the changed site', async () => {
      const answer = await lab.fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt').catch(() => undefined);
      streak = answer !== undefined && ready(answer.headers['content-type'], answer.status) ? streak + 1 : 0;
      return streak >= 5;
    });
  }

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    await lab.publishDomain(domain);
    mxCa = await TestCa.create('Checks MX CA');
    await serveMx(await mxCa.issue([`mx.${domain}`]));
    panel = await Panel.start(env());
    const added = await panel.api<DomainView>('POST', '/api/domains', { domain });
    policyId = added.body.policy!.id;
    await lab.dnsmasq.update({
      txt: {
        [`_mta-sts.${domain}`]: [`v=STSv1; id=${policyId}`],
        [`_smtp._tls.${domain}`]: [`v=TLSRPTv1; rua=mailto:tls-reports@${domain}`],
      },
    });
    await panel.api('POST', `/api/domains/${domain}/enable`);
    const view = await panel.settle(domain);
    if (view.state !== 'active') throw new Error(`enable failed: ${JSON.stringify(view.error)}`);
    // The server also has an IPv6 address now. (The lab cannot route one, so the domain was
    // enabled over IPv4 only: Pebble, like Let's Encrypt, would validate over IPv6.)
    await panel.close();
    await lab.dnsmasq.update({ hosts: { [`mta-sts.${domain}`]: [lab.address, ipv6] } });
    panel = await Panel.start(env({ MTA_STS_SERVER_IPV6: ipv6 }));
  }, 90_000);

  afterAll(async () => {
    await smtp?.stop();
    await panel?.close();
    await lab?.stop();
  });

  it('passes every check when everything is published and served', async () => {
    const checks = await runChecks();
    expect(Object.keys(checks)).toEqual([...CHECK_IDS]);
    for (const check of Object.values(checks))
      expect([check.check, check.status, check.summary]).toEqual([check.check, 'pass', check.summary]);
    const view = (await panel.api<DomainView>('GET', `/api/domains/${domain}`)).body;
    expect(view.badge).toBe('active');
    expect(checks.certificate.summary).toMatch(/issued by Pebble/);
    expect(checks['mx-tls'].summary).toBe(`mx.${domain} offers STARTTLS with a valid certificate.`);
  });

  it('fails the DNS check when the A record points elsewhere, naming both addresses', async () => {
    await lab.dnsmasq.update({ hosts: { [`mta-sts.${domain}`]: ['127.0.0.99', ipv6] } });
    const checks = await runChecks();
    expect(checks.dns.status).toBe('fail');
    expect(checks.dns.summary).toContain('127.0.0.99');
    expect(checks.dns.summary).toContain(lab.address);
    expect(checks.dns.remedy).toContain(`Change mta-sts.${domain} A to ${lab.address}`);
  });

  it('fails the DNS check when the AAAA record is missing although IPv6 is configured', async () => {
    await lab.dnsmasq.update({ hosts: { [`mta-sts.${domain}`]: [lab.address] } });
    const checks = await runChecks();
    expect(checks.dns.status).toBe('fail');
    expect(checks.dns.summary).toContain('no AAAA record');
    expect(checks.dns.remedy).toContain(`Publish mta-sts.${domain} AAAA ${ipv6}`);
    await lab.dnsmasq.update({ hosts: { [`mta-sts.${domain}`]: [lab.address, ipv6] } });
    expect((await runChecks()).dns.status).toBe('pass');
  });

  it('fails the policy record check when the TXT record is missing, duplicated or stale', async () => {
    await lab.dnsmasq.update({ txt: { [`_mta-sts.${domain}`]: ['v=spf1 -all'] } });
    let checks = await runChecks();
    expect(checks['policy-record'].status).toBe('fail');
    expect(checks['policy-record'].summary).toContain('no TXT record starting with v=STSv1');

    await lab.dnsmasq.update({ txt: { [`_mta-sts.${domain}`]: [`v=STSv1; id=${policyId}`, 'v=STSv1; id=other1'] } });
    checks = await runChecks();
    expect(checks['policy-record'].status).toBe('fail');
    expect(checks['policy-record'].summary).toContain('2 TXT records start with v=STSv1');

    await lab.dnsmasq.update({ txt: { [`_mta-sts.${domain}`]: ['v=STSv1; id=stale20260101'] } });
    checks = await runChecks();
    expect(checks['policy-record'].status).toBe('fail');
    expect(checks['policy-record'].summary).toContain(
      `announces id stale20260101, but the served policy has id ${policyId}`,
    );

    await lab.dnsmasq.update({ txt: { [`_mta-sts.${domain}`]: [`v=STSv1; id=${policyId}`] } });
    expect((await runChecks())['policy-record'].status).toBe('pass');
  });

  it('warns about a missing TLS reporting record', async () => {
    await lab.dnsmasq.update({ txt: { [`_smtp._tls.${domain}`]: [] } });
    const checks = await runChecks();
    expect(checks['tls-rpt'].status).toBe('warn');
    expect(checks['tls-rpt'].remedy).toContain(`v=TLSRPTv1; rua=mailto:tls-reports@${domain}`);
    await lab.dnsmasq.update({ txt: { [`_smtp._tls.${domain}`]: [`v=TLSRPTv1; rua=mailto:tls-reports@${domain}`] } });
  });

  it('fails the HTTPS check for a wrong content type, and for a redirect, served by a misconfigured vhost', async () => {
    const original = readFileSync(siteFile(), 'utf8');
    try {
      // The policy location's type (the port 80 challenge location has one too).
      writeFileSync(
        siteFile(),
        original.replace(/default_type text\/plain;(\s+charset off;)/, 'default_type text/html;$1'),
      );
      await reloadNginx();
      await whenServing((type) => type === 'text/html');
      let checks = await runChecks();
      expect(checks.https.status).toBe('fail');
      expect(checks.https.summary).toContain('content-type: "text/html", not exactly text/plain');

      writeFileSync(
        siteFile(),
        original.replace(/alias "[^"]+";/, 'return 301 https://policy.elsewhere.test/mta-sts.txt;'),
      );
      await reloadNginx();
      await whenServing((_, status) => status === 301);
      checks = await runChecks();
      expect(checks.https.status).toBe('fail');
      expect(checks.https.summary).toContain('redirect: status 301 to https://policy.elsewhere.test/mta-sts.txt');
    } finally {
      writeFileSync(siteFile(), original);
      await reloadNginx();
      await whenServing((type, status) => type === 'text/plain' && status === 200);
    }
    expect((await runChecks()).https.status).toBe('pass');
  });

  it('fails the certificate check for a certificate made for another name', async () => {
    const original = readFileSync(bundleFile(), 'utf8');
    const dir = join(lab.dir, 'wrong-name');
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '30',
      '-subj', '/CN=www.wrong-name.test', '-addext', 'subjectAltName=DNS:www.wrong-name.test',
    ]); // prettier-ignore
    try {
      writeFileSync(
        bundleFile(),
        readFileSync(join(dir, 'cert.pem'), 'utf8') + readFileSync(join(dir, 'key.pem'), 'utf8'),
      );
      await reloadNginx();
      let checks = await runChecks();
      await waitFor('nginx to present the other certificate', async () => {
        checks = await runChecks();
        return checks.certificate.status === 'fail';
      });
      expect(checks.certificate.summary).toBe(
        `The certificate presented for mta-sts.${domain} is for www.wrong-name.test.`,
      );
    } finally {
      writeFileSync(bundleFile(), original, { mode: 0o600 });
      await reloadNginx();
    }
    await waitFor('the real certificate to come back', async () => (await runChecks()).certificate.status === 'pass');
  });

  it('notices an MX host the policy does not cover, and warns in testing mode', async () => {
    await lab.dnsmasq.update({ mx: { [domain]: [`mx.${domain}`, `backup-mx.${domain}`] } });
    const checks = await runChecks();
    expect(checks['mx-coverage'].status).toBe('warn');
    expect(checks['mx-coverage'].summary).toContain(`backup-mx.${domain} is not covered by the policy`);
    expect(checks['mx-coverage'].remedy).toContain('Refresh MX');
    await lab.dnsmasq.update({ mx: { [domain]: [`mx.${domain}`] } });
  });

  it('warns in testing mode when the MX host does not offer STARTTLS, naming the host', async () => {
    try {
      await serveMx({ ...(await mxCa.issue([`mx.${domain}`])), hideSTARTTLS: true });
      const checks = await runChecks();
      expect(checks['mx-tls'].status).toBe('warn');
      expect(checks['mx-tls'].summary).toContain(`mx.${domain}`);
      expect(checks['mx-tls'].detail).toMatch(/does not offer STARTTLS/);
      expect(checks['mx-tls'].remedy).not.toBe('');
    } finally {
      await serveMx(await mxCa.issue([`mx.${domain}`]));
    }
    expect((await runChecks())['mx-tls'].status).toBe('pass');
  });

  it('keeps a history of status changes', async () => {
    const history = await panel.api<{
      events: Array<{ check: string; status: string; previousStatus: string | null }>;
    }>('GET', `/api/domains/${domain}/history`);
    const dns = history.body.events.filter((event) => event.check === 'dns').map((event) => event.status);
    // Newest first: pass (restored), fail (missing AAAA), pass, fail (wrong A), pass (first run).
    expect(dns.slice(0, 2)).toEqual(['pass', 'fail']);
    expect(dns).toContain('fail');
  });
});
