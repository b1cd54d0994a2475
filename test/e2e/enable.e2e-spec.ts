import { existsSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';

/**
 * Enable end to end against real services: dnsmasq for DNS, Pebble as the CA answering
 * real HTTP-01 challenges through the nginx the module configures, and Debian's
 * mta-sts-query as an independent sender-side client.
 */
describe('Enable a domain end to end', () => {
  const domain = 'example.test';
  const second = 'second.test';
  let lab: Lab;
  let panel: Panel;
  /**
   * The lab runs no SMTP server for these MX hosts, so the STARTTLS probe is off: promotion
   * to enforce would otherwise be refused. lifecycle.e2e-spec.ts probes a real SMTP server.
   */
  const env = () => lab.env({ MTA_STS_SMTP_PROBE: 'false' });

  /** Runs the checks now, so a check sees the `_mta-sts` TXT record as published. */
  async function runChecks(name: string): Promise<DomainView> {
    const answer = await panel.api<DomainView>('POST', `/api/domains/${name}/checks`);
    expect(answer.status).toBe(200);
    return answer.body;
  }

  beforeAll(async () => {
    // Pebble rejects a fifth of the nonces here: acme-client must retry them like with a real CA.
    lab = await Lab.start({ dns: {}, nonceRejects: true });
    await lab.dnsmasq.update({
      hosts: {
        [`mta-sts.${domain}`]: [lab.address],
        [`mail.${domain}`]: [lab.address],
        [`mta-sts.${second}`]: [lab.address],
      },
      mx: { [domain]: [`mail.${domain}`, `MX2.${domain}.`], [second]: [`mail.${domain}`] },
    });
    panel = await Panel.start(env());
  }, 60_000);

  afterAll(async () => {
    await panel?.close();
    await lab?.stop();
  });

  it('adds a domain with its policy and the three DNS records to publish', async () => {
    const added = await panel.api<DomainView>('POST', '/api/domains', { domain: 'Example.TEST.' });
    expect(added.status).toBe(201);
    expect(added.body.domain).toBe(domain);
    expect(added.body.state).toBe('inactive');
    expect(added.body.mode).toBe('testing');
    expect(added.body.mx).toEqual([`mail.${domain}`, `mx2.${domain}`]);
    const id = added.body.policy!.id;
    expect(added.body.policy!.text).toBe(
      `version: STSv1\r\nmode: testing\r\nmx: mail.${domain}\r\nmx: mx2.${domain}\r\nmax_age: 604800\r\n`,
    );
    expect(added.body.records).toEqual([
      expect.objectContaining({ name: `_mta-sts.${domain}`, type: 'TXT', value: `v=STSv1; id=${id}` }),
      expect.objectContaining({ name: `mta-sts.${domain}`, type: 'A', value: lab.address }),
      expect.objectContaining({
        name: `_smtp._tls.${domain}`,
        type: 'TXT',
        value: `v=TLSRPTv1; rua=mailto:tls-reports@${domain}`,
      }),
    ]);
    // The admin publishes the records.
    await lab.dnsmasq.update({
      txt: {
        [`_mta-sts.${domain}`]: [`v=STSv1; id=${id}`],
        [`_smtp._tls.${domain}`]: [`v=TLSRPTv1; rua=mailto:tls-reports@${domain}`],
      },
    });
  });

  it('refuses hostile names with 400 and writes nothing', async () => {
    for (const name of ['1.2.3.4', 'exa mple.com', 'a..b', 'x.com;include /etc', '../../etc']) {
      const answer = await panel.api('POST', '/api/domains', { domain: name });
      expect(answer.status).toBe(400);
      expect(String(answer.body.message)).toMatch(/not a valid domain name/);
    }
    const list = await panel.api<{ domains: DomainView[] }>('GET', '/api/domains');
    expect(list.body.domains.map((d) => d.domain)).toEqual([domain]);
  });

  it('refuses the API without the bearer token', async () => {
    const response = await fetch(`${panel.url}/api/domains`);
    expect(response.status).toBe(401);
  });

  it('enables the domain: nginx serves the policy with a Pebble certificate, and mta-sts-query accepts it', async () => {
    const enable = await panel.api<DomainView>('POST', `/api/domains/${domain}/enable`);
    expect(enable.status).toBe(202);
    expect(enable.body.state).toBe('provisioning');
    const again = await panel.api<DomainView>('POST', `/api/domains/${domain}/enable`);
    expect([200, 202]).toContain(again.status);

    const view = await panel.settle(domain);
    expect(view.error).toBeNull();
    expect(view.state).toBe('active');
    expect(view.certificate?.issuer).toMatch(/Pebble/i);
    expect(view.servedPolicyId).toBe(view.policy!.id);
    // The TXT record was published before Enable: the first checks already saw the id.
    expect(view.lifecycle.policyVisibleAt).not.toBeNull();
    expect(view.checks.map((check) => check.check)).not.toContain('mx-tls');

    const served = await lab.fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt');
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe('text/plain');
    expect(served.body).toBe(view.policy!.text);

    const other = await lab.fetchHttps(`mta-sts.${domain}`, '/index.html');
    expect(other.status).toBe(404);

    const query = await lab.mtaStsQuery(domain);
    expect(query).toContain('VALID');
    expect(query).not.toMatch(/INVALID|FETCH_ERROR|NONE/);

    const key = join(lab.dataDir, 'certs', domain, 'certificate.pem');
    expect(statSync(key).mode & 0o777).toBe(0o600);
  }, 90_000);

  it('sends visitors who are not signed in from the pages to the sign-in form', async () => {
    const base = panel.url;
    const home = await fetch(`${base}/`, { redirect: 'manual' });
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/mta-sts');
    const pages = await fetch(`${base}/mta-sts`, { redirect: 'manual' });
    expect(pages.status).toBe(303);
    expect(pages.headers.get('location')).toBe('/login?next=%2Fmta-sts');
  });

  it('serves a changed policy at once and leaves the TXT id to follow (RFC 8461 §8.1)', async () => {
    const before = (await panel.api<DomainView>('GET', `/api/domains/${domain}`)).body;
    const changed = await panel.api<{ domain: DomainView; idChanged: boolean }>('POST', `/api/domains/${domain}/mode`, {
      mode: 'enforce',
    });
    expect(changed.status).toBe(200);
    expect(changed.body.idChanged).toBe(true);
    const after = changed.body.domain;
    expect(after.policy!.text).toContain('mode: enforce\r\n');
    expect(after.servedPolicyId).toBe(after.policy!.id);
    expect(after.servedPolicyId).not.toBe(before.servedPolicyId);
    // The new file is live without any nginx change...
    const served = await lab.fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt');
    expect(served.body).toBe(after.policy!.text);
    // ...and the domain is changing: the card says the new id is not in DNS yet.
    expect(after.state).toBe('changing');
    expect(after.lifecycle.policyVisibleAt).toBeNull();
    expect(after.checks.find((check) => check.check === 'policy-record')).toMatchObject({ status: 'fail' });
    expect(after.alerts).toContainEqual(
      expect.stringContaining(`New policy id ${after.servedPolicyId} not yet visible`),
    );

    await lab.dnsmasq.update({ txt: { [`_mta-sts.${domain}`]: [`v=STSv1; id=${after.servedPolicyId}`] } });
    const query = await lab.mtaStsQuery(domain);
    expect(query).toContain('VALID');
    expect(query).toContain("'mode': 'enforce'");
    // A check that sees the new id makes the domain active again.
    const seen = await runChecks(domain);
    expect(seen.state).toBe('active');
    expect(seen.lifecycle.policyVisibleAt).not.toBeNull();

    const reverted = await panel.api<{ domain: DomainView }>('POST', `/api/domains/${domain}/mode`, {
      mode: 'testing',
    });
    // The testing text again, under a third id: the first one was replaced, so it is never
    // announced again (RFC 8461 §3.1).
    const revertedId = reverted.body.domain.servedPolicyId!;
    expect(reverted.body.domain.policy!.text).toBe(before.policy!.text);
    expect([before.servedPolicyId, after.servedPolicyId]).not.toContain(revertedId);
    expect(reverted.body.domain.state).toBe('changing');
    await lab.dnsmasq.update({ txt: { [`_mta-sts.${domain}`]: [`v=STSv1; id=${revertedId}`] } });
    expect((await runChecks(domain)).state).toBe('active');
    expect((await panel.api('POST', `/api/domains/${domain}/mode`, { mode: 'strict' })).status).toBe(400);
    // mode none is what retiring serves; it cannot be set directly.
    expect((await panel.api('POST', `/api/domains/${domain}/mode`, { mode: 'none' })).status).toBe(400);
  });

  it('refuses a TLS handshake for a name it does not serve', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({
        host: lab.address,
        port: lab.ports.https,
        servername: 'mta-sts.unknown.test',
        rejectUnauthorized: false,
      });
      socket.once('secureConnect', () => {
        resolve(`handshake completed with ${socket.getPeerCertificate().subject?.CN}`);
        socket.destroy();
      });
      socket.once('error', (error) => resolve(`refused: ${error.message}`));
    });
    expect(outcome).toMatch(/^refused/);
  });

  it('keeps the previous configuration serving when nginx -t fails, and records the failed step', async () => {
    await panel.api('POST', '/api/domains', { domain: second });
    // Someone left a broken file in the directory nginx includes.
    const broken = join(lab.nginx.sitesDir, 'zz-broken.conf');
    writeFileSync(broken, 'server { listen 127.0.0.1:81; this_is_not_a_directive on; }\n');

    await panel.api('POST', `/api/domains/${second}/enable`);
    const failed = await panel.settle(second);
    expect(failed.state).toBe('error');
    expect(failed.error?.step).toBe('http-vhost');
    expect(failed.error?.message).toMatch(/nginx -t/);
    expect(failed.error?.message).toMatch(/this_is_not_a_directive/);
    expect(existsSync(join(lab.nginx.sitesDir, `mta-sts.${second}.conf`))).toBe(false);

    const served = await lab.fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt');
    expect(served.status).toBe(200);
    expect(served.body).toContain('version: STSv1');

    rmSync(broken);
    await panel.api('POST', `/api/domains/${second}/enable`);
    expect((await panel.settle(second)).state).toBe('active');
  }, 90_000);

  it('removes at once with {"now": true}: the vhost goes, the certificate stays, and the records to remove are listed', async () => {
    const certificate = readFileSync(join(lab.dataDir, 'certs', second, 'certificate.pem'), 'utf8');
    const removed = await panel.api<{ domain: DomainView; recordsToRemove: Array<{ name: string }> }>(
      'POST',
      `/api/domains/${second}/disable`,
      { now: true },
    );
    expect(removed.status).toBe(200);
    // A policy was served, so senders may hold it: removed rather than never enabled.
    expect(removed.body.domain.state).toBe('removed');
    expect(removed.body.recordsToRemove.map((r) => r.name)).toEqual([`_mta-sts.${second}`, `mta-sts.${second}`]);
    expect(existsSync(join(lab.nginx.sitesDir, `mta-sts.${second}.conf`))).toBe(false);
    await expect(lab.fetchHttps(`mta-sts.${second}`, '/.well-known/mta-sts.txt')).rejects.toThrow();

    // Enabling again reuses the certificate kept on disk instead of ordering a new one.
    await panel.api('POST', `/api/domains/${second}/enable`);
    expect((await panel.settle(second)).state).toBe('active');
    expect(readFileSync(join(lab.dataDir, 'certs', second, 'certificate.pem'), 'utf8')).toBe(certificate);
    expect((await lab.fetchHttps(`mta-sts.${second}`, '/.well-known/mta-sts.txt')).status).toBe(200);
  }, 90_000);

  it('retires by default: nginx serves mode none with max_age 86400 and a new id until cached policies expire', async () => {
    const before = (await panel.api<DomainView>('GET', `/api/domains/${second}`)).body;
    const startedAt = Date.now();
    const retired = await panel.api<{
      domain: DomainView;
      removeAt: string;
      publish: { name: string; type: string; value: string };
    }>('POST', `/api/domains/${second}/disable`);
    expect(retired.status).toBe(200);
    const view = retired.body.domain;
    expect([view.state, view.mode, view.maxAge]).toEqual(['retiring', 'none', 86_400]);
    expect(view.servedPolicyId).not.toBe(before.servedPolicyId);
    expect(retired.body.publish).toEqual(
      expect.objectContaining({ name: `_mta-sts.${second}`, type: 'TXT', value: `v=STSv1; id=${view.servedPolicyId}` }),
    );
    // The week-long testing policy plus the TXT TTL (1 hour by default).
    const removeAt = Date.parse(retired.body.removeAt);
    expect(removeAt).toBeGreaterThanOrEqual(startedAt + (604_800 + 3_600) * 1000 - 1_000);
    expect(removeAt).toBeLessThanOrEqual(Date.now() + (604_800 + 3_600) * 1000);

    const served = await lab.fetchHttps(`mta-sts.${second}`, '/.well-known/mta-sts.txt');
    expect(served.status).toBe(200);
    expect(served.body).toBe(view.policy!.text);
    expect(served.body).toMatch(/^version: STSv1\r\nmode: none\r\n/);
    expect(served.body).toContain('max_age: 86400\r\n');
    expect(existsSync(join(lab.nginx.sitesDir, `mta-sts.${second}.conf`))).toBe(true);
  }, 60_000);

  it('deletes only inactive domains, and keeps state across a restart', async () => {
    expect((await panel.api('DELETE', `/api/domains/${domain}`)).status).toBe(409);
    expect((await panel.api('GET', '/api/domains/unknown.test')).status).toBe(404);

    await panel.close();
    panel = await Panel.start(env());
    const view = await panel.api<DomainView>('GET', `/api/domains/${domain}`);
    expect(view.body.state).toBe('active');
    expect((await panel.api<DomainView>('GET', `/api/domains/${second}`)).body.state).toBe('retiring');
    // A retiring domain still serves its policy host: it cannot be deleted until it is removed.
    expect((await panel.api('DELETE', `/api/domains/${second}`)).status).toBe(409);

    expect((await panel.api('POST', `/api/domains/${second}/disable`, { now: true })).status).toBe(200);
    expect((await panel.api('DELETE', `/api/domains/${second}`)).status).toBe(204);
    expect((await panel.api('GET', `/api/domains/${second}`)).status).toBe(404);
  }, 60_000);
});
