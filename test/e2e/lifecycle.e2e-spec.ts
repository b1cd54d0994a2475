import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { textOf } from '../integration/helpers/html';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';
import { waitFor } from '../support/processes';
import { LoopbackSmtpServer, LoopbackSmtpServerOptions, startSmtpServer } from '../support/smtp-server';
import { TestCa } from '../support/test-ca';

interface PolicyChange {
  readonly domain: DomainView;
  readonly idChanged: boolean;
  readonly publish: { readonly value: string } | null;
}

interface Refusal {
  readonly message: string;
  readonly reasons?: string[];
}

interface Notice {
  readonly kind: string;
  readonly domain: string;
  readonly subject: string;
  readonly text: string;
  readonly details: Record<string, unknown>;
}

interface Action {
  readonly action: string;
  readonly actor: string;
  readonly policyIdBefore: string | null;
  readonly policyIdAfter: string | null;
}

const DAY_MS = 86_400_000;
const TXT_TTL_SECONDS = 60;

/**
 * The policy lifecycle end to end (GitHub issue 5) against real services: promotion gated
 * on a STARTTLS probe of a real SMTP server, retirement served by the nginx the module
 * configures and finished by the checks sweep, the MX watch following records changed in
 * dnsmasq, with Debian's mta-sts-query as the sender and a local webhook receiver.
 */
describe('Policy lifecycle end to end', () => {
  const promo = 'promo.test';
  const watched = 'mxwatch.test';
  const retired = 'retire.test';
  const removed = 'now.test';
  const domains = [promo, watched, retired, removed];
  let lab: Lab;
  let panel: Panel;
  let mxCa: TestCa;
  let hook: Server;
  const notices: Notice[] = [];
  /** The policy id each domain served when it was enabled (testing mode). */
  const firstIds: Record<string, string> = {};
  /** The id of the testing policy served again by Revert to testing. */
  let revertId: string;

  const siteFile = (domain: string) => join(lab.nginx.sitesDir, `mta-sts.${domain}.conf`);

  async function publishId(domain: string, id: string): Promise<void> {
    await lab.dnsmasq.update({ txt: { [`_mta-sts.${domain}`]: [`v=STSv1; id=${id}`] } });
  }

  async function view(domain: string): Promise<DomainView> {
    return (await panel.api<DomainView>('GET', `/api/domains/${domain}`)).body;
  }

  async function sweep(): Promise<void> {
    const report = await panel.api<{ processed?: number; failed?: number; skipped?: boolean }>('POST', '/api/checks');
    expect(report.status).toBe(200);
    expect(report.body.skipped).toBeUndefined();
    expect(report.body.failed).toBe(0);
  }

  /** The leaf certificate nginx presents for `host` (SHA-256 fingerprint), trusting nothing. */
  function presentedFingerprint(host: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: lab.address, port: lab.ports.https, servername: host, rejectUnauthorized: false });
      socket.setTimeout(5_000, () => socket.destroy(new Error('timeout')));
      socket.once('secureConnect', () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.destroy();
      });
      socket.once('error', reject);
    });
  }

  function storedFingerprint(domain: string): string {
    return new X509Certificate(readFileSync(join(lab.dataDir, 'certs', domain, 'certificate.pem'))).fingerprint256;
  }

  /** Signs in through the form as the admin; answers the card page's visible text. */
  async function cardText(domain: string): Promise<string> {
    const form = await fetch(`${panel.url}/login`);
    const csrfCookie = form.headers.getSetCookie().find((cookie) => cookie.startsWith('mta_sts_csrf='))!;
    const csrf = csrfCookie.split(';')[0];
    // The form's token, signed for that cookie, as a browser posts it.
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
    const signIn = await fetch(`${panel.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: csrf },
      body: new URLSearchParams({
        _csrf: token,
        username: lab.users.admin.name,
        password: lab.users.admin.password,
        next: '/mta-sts',
      }),
    });
    expect(signIn.status).toBe(303);
    const session = signIn.headers
      .getSetCookie()
      .map((cookie) => cookie.split(';')[0])
      .join('; ');
    const card = await fetch(`${panel.url}/mta-sts/domains/${domain}`, { headers: { Cookie: `${csrf}; ${session}` } });
    expect(card.status).toBe(200);
    return textOf(await card.text());
  }

  /** How a TLS client asking for `host` fares: `refused: ...` or `handshake completed ...`. */
  function handshake(host: string): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect({ host: lab.address, port: lab.ports.https, servername: host, rejectUnauthorized: false });
      socket.setTimeout(5_000, () => socket.destroy(new Error('timeout')));
      socket.once('secureConnect', () => {
        resolve(`handshake completed with ${socket.getPeerCertificate().subject?.CN}`);
        socket.destroy();
      });
      socket.once('error', (error) => resolve(`refused: ${error.message}`));
    });
  }

  beforeAll(async () => {
    hook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        notices.push(JSON.parse(body) as Notice);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', () => resolve()));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/mta-sts-hook`;

    lab = await Lab.start({ dns: {} });
    mxCa = await TestCa.create('Lifecycle MX CA');
    await lab.dnsmasq.update({
      hosts: Object.fromEntries([
        ...domains.flatMap((domain) => [
          [`mta-sts.${domain}`, [lab.address]],
          [`mx.${domain}`, [lab.address]],
        ]),
        [`mx2.${watched}`, [lab.address]],
      ]),
      mx: Object.fromEntries(domains.map((domain) => [domain, [`mx.${domain}`]])),
    });
    panel = await Panel.start(
      lab.env({
        // The MX certificates come from a CA made here; the policy hosts' from Pebble.
        MTA_STS_CHECK_CA_FILE: lab.checksCaFile(mxCa.certificatePem),
        MTA_STS_NOTIFY_WEBHOOK_URL: hookUrl,
        MTA_STS_TXT_TTL: String(TXT_TTL_SECONDS),
      }),
    );
    for (const domain of domains) {
      const added = await panel.api<DomainView>('POST', '/api/domains', { domain });
      expect(added.status).toBe(201);
      firstIds[domain] = added.body.policy!.id;
    }
    await lab.dnsmasq.update({
      txt: Object.fromEntries(
        domains.flatMap((domain) => [
          [`_mta-sts.${domain}`, [`v=STSv1; id=${firstIds[domain]}`]],
          [`_smtp._tls.${domain}`, [`v=TLSRPTv1; rua=mailto:tls-reports@${domain}`]],
        ]),
      ),
    });
    await Promise.all(domains.map((domain) => panel.api('POST', `/api/domains/${domain}/enable`)));
    for (const domain of domains) {
      const enabled = await panel.settle(domain);
      if (enabled.state !== 'active') throw new Error(`enabling ${domain} failed: ${JSON.stringify(enabled.error)}`);
    }
  }, 90_000);

  afterAll(async () => {
    await panel?.close();
    await lab?.stop();
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
  });

  describe('promotion to enforce, gated on a STARTTLS probe of the real MX', () => {
    const mxHost = `mx.${promo}`;
    let smtp: LoopbackSmtpServer | undefined;

    /** A real SMTP server answering for the MX host on the lab's address, port 25. */
    async function serveMx(options: LoopbackSmtpServerOptions): Promise<void> {
      await smtp?.stop();
      smtp = await startSmtpServer({ host: lab.address, port: 25, ...options });
    }

    afterAll(async () => {
      await smtp?.stop();
    });

    const broken: Array<{ problem: string; server: () => Promise<LoopbackSmtpServerOptions>; says: RegExp }> = [
      {
        problem: 'a certificate for another name',
        server: () => mxCa.issue([`wrong-name.${promo}`]),
        says: /presents a certificate that is for wrong-name\.promo\.test, not mx\.promo\.test/,
      },
      {
        problem: 'an expired certificate',
        server: () => mxCa.issue([mxHost], { notBefore: new Date(Date.now() - 30 * DAY_MS), notAfter: yesterday() }),
        says: new RegExp(`presents a certificate that expired on ${yesterday().toISOString().slice(0, 10)}`),
      },
      {
        problem: 'no STARTTLS',
        server: async () => ({ ...(await mxCa.issue([mxHost])), hideSTARTTLS: true }),
        says: /does not offer STARTTLS/,
      },
    ];

    for (const { problem, server, says } of broken) {
      it(`refuses promotion with 409 when the MX presents ${problem}, and the card names the MX and the problem`, async () => {
        await serveMx(await server());
        const refused = await panel.api<Refusal>('POST', `/api/domains/${promo}/mode`, { mode: 'enforce' });
        expect(refused.status).toBe(409);
        // Every other check passes: the probe is the only reason.
        expect(refused.body.reasons).toHaveLength(1);
        const [reason] = refused.body.reasons!;
        const title = 'MX hosts accept TLS (STARTTLS probe)';
        expect(reason.startsWith(`${title}: ${mxHost} (${lab.address}) `)).toBe(true);
        expect(reason).toMatch(says);
        const sentence = reason.slice(title.length + 2);

        const after = await view(promo);
        expect(after.mode).toBe('testing');
        expect(after.servedPolicyId).toBe(firstIds[promo]);
        const served = await lab.fetchHttps(`mta-sts.${promo}`, '/.well-known/mta-sts.txt');
        expect(served.body).toContain('mode: testing\r\n');

        // The card shows the same sentence as the probe's stored result (a warning in testing mode).
        expect(await cardText(promo)).toContain(`Warning ${title} ${sentence} What to do:`);
      });
    }

    it('promotes when the MX offers STARTTLS with a trusted certificate for its name; senders then get enforce', async () => {
      await serveMx(await mxCa.issue([mxHost]));
      const promoted = await panel.api<PolicyChange>('POST', `/api/domains/${promo}/mode`, { mode: 'enforce' });
      expect(promoted.status).toBe(200);
      expect(promoted.body.idChanged).toBe(true);
      const domain = promoted.body.domain;
      expect(domain.mode).toBe('enforce');
      expect(domain.state).toBe('changing');
      expect(domain.lifecycle.policyVisibleAt).toBeNull();
      expect(domain.servedPolicyId).not.toBe(firstIds[promo]);
      expect(domain.checks.find((check) => check.check === 'mx-tls')).toMatchObject({
        status: 'pass',
        summary: `${mxHost} offers STARTTLS with a valid certificate.`,
      });
      // The new file is served before the TXT id announces it (RFC 8461 §8.1).
      const served = await lab.fetchHttps(`mta-sts.${promo}`, '/.well-known/mta-sts.txt');
      expect(served.body).toBe(domain.policy!.text);
      expect(served.body).toContain('mode: enforce\r\n');

      await publishId(promo, domain.servedPolicyId!);
      const checked = await panel.api<DomainView>('POST', `/api/domains/${promo}/checks`);
      expect(checked.body.state).toBe('active');
      expect(checked.body.lifecycle.policyVisibleAt).not.toBeNull();

      const query = await lab.mtaStsQuery(promo);
      expect(query).toContain('VALID');
      expect(query).not.toMatch(/INVALID|FETCH_ERROR|NOT_CHANGED|NONE/);
      expect(query).toContain(domain.servedPolicyId!);
      expect(query).toContain("'mode': 'enforce'");
      expect(query).toContain(mxHost);
    });

    it('reverts to testing at once, even while the MX fails the probe', async () => {
      await serveMx({ hideSTARTTLS: true });
      const reverted = await panel.api<PolicyChange>('POST', `/api/domains/${promo}/mode`, { mode: 'testing' });
      expect(reverted.status).toBe(200);
      expect(reverted.body.domain.mode).toBe('testing');
      // Same text as before the promotion, under a new id: a sender that cached the enforce
      // text under the first id fetches again once this one is published.
      revertId = reverted.body.domain.servedPolicyId!;
      expect(revertId).not.toBe(firstIds[promo]);
      expect(reverted.body.publish?.value).toBe(`v=STSv1; id=${revertId}`);
      const served = await lab.fetchHttps(`mta-sts.${promo}`, '/.well-known/mta-sts.txt');
      expect(served.body).toBe(reverted.body.domain.policy!.text);
      expect(served.body).toContain('mode: testing\r\n');
      await publishId(promo, revertId);
    });
  });

  describe('MX watch against records changed in dnsmasq', () => {
    it('follows the live MX records in testing mode: new file and id, changing until the id is in DNS', async () => {
      const before = await view(watched);
      expect(before.mx).toEqual([`mx.${watched}`]);
      await lab.dnsmasq.update({ mx: { [watched]: [`mx2.${watched}`] } });
      await sweep();

      const changed = await view(watched);
      expect(changed.state).toBe('changing');
      expect(changed.mx).toEqual([`mx2.${watched}`]);
      expect(changed.servedPolicyId).not.toBe(before.servedPolicyId);
      expect(changed.lifecycle.policyVisibleAt).toBeNull();
      const served = await lab.fetchHttps(`mta-sts.${watched}`, '/.well-known/mta-sts.txt');
      expect(served.body).toBe(changed.policy!.text);
      expect(served.body).toContain(`mx: mx2.${watched}\r\n`);
      expect(served.body).not.toContain(`mx: mx.${watched}\r\n`);
      await waitFor('the mx-changed notice', async () =>
        notices.some((notice) => notice.kind === 'mx-changed' && notice.domain === watched),
      );
      expect(
        notices.find((notice) => notice.kind === 'mx-changed' && notice.domain === watched)!.details,
      ).toMatchObject({ mx: [`mx2.${watched}`], policyId: changed.servedPolicyId });

      await publishId(watched, changed.servedPolicyId!);
      await sweep();
      const visible = await view(watched);
      expect(visible.state).toBe('active');
      expect(visible.servedPolicyId).toBe(changed.servedPolicyId);
      expect(visible.lifecycle.policyVisibleAt).not.toBeNull();

      const query = await lab.mtaStsQuery(watched);
      expect(query).toContain('VALID');
      expect(query).not.toMatch(/INVALID|FETCH_ERROR|NOT_CHANGED|NONE/);
      expect(query).toContain(changed.servedPolicyId!);
      expect(query).toContain(`mx2.${watched}`);
    });
  });

  describe('retirement (RFC 8461 §8.3) with real nginx', () => {
    it('removes a domain at once with {"now": true}: the vhost goes and the TLS handshake is refused', async () => {
      expect(existsSync(siteFile(removed))).toBe(true);
      const answer = await panel.api<{ domain: DomainView; recordsToRemove: Array<{ name: string; type: string }> }>(
        'POST',
        `/api/domains/${removed}/disable`,
        { now: true },
      );
      expect(answer.status).toBe(200);
      expect(answer.body.domain.state).toBe('removed');
      expect(answer.body.recordsToRemove.map((record) => [record.name, record.type])).toEqual([
        [`_mta-sts.${removed}`, 'TXT'],
        [`mta-sts.${removed}`, 'A'],
      ]);
      expect(existsSync(siteFile(removed))).toBe(false);
      await waitFor('nginx to refuse the removed host', async () =>
        (await handshake(`mta-sts.${removed}`)).startsWith('refused'),
      );
      // The other hosts keep serving.
      expect((await lab.fetchHttps(`mta-sts.${retired}`, '/.well-known/mta-sts.txt')).status).toBe(200);
    });

    it('retires: mode none with max_age 86400 under a new id, served over HTTPS with the same certificate', async () => {
      const certificate = await presentedFingerprint(`mta-sts.${retired}`);
      expect(certificate).toBe(storedFingerprint(retired));
      const answer = await panel.api<{
        domain: DomainView;
        removeAt: string;
        publish: { name: string; type: string; value: string };
        // Without a JSON body the API answers 500 (reported); `{}` asks for the same thing.
      }>('POST', `/api/domains/${retired}/disable`, {});
      expect(answer.status).toBe(200);
      const domain = answer.body.domain;
      expect(domain.state).toBe('retiring');
      expect(domain.mode).toBe('none');
      expect(domain.maxAge).toBe(86_400);
      expect(domain.servedPolicyId).not.toBe(firstIds[retired]);
      expect(answer.body.publish).toMatchObject({
        name: `_mta-sts.${retired}`,
        type: 'TXT',
        value: `v=STSv1; id=${domain.servedPolicyId}`,
      });
      // Senders may hold the 1-week testing policy: it stays served for that long, plus the TXT TTL.
      expect(Date.parse(answer.body.removeAt) - Date.parse(domain.lifecycle.retireStartedAt!)).toBe(
        (604_800 + TXT_TTL_SECONDS) * 1000,
      );

      const served = await lab.fetchHttps(`mta-sts.${retired}`, '/.well-known/mta-sts.txt');
      expect(served.status).toBe(200);
      expect(served.headers['content-type']).toBe('text/plain');
      expect(served.body).toBe(domain.policy!.text);
      expect(served.body).toContain('mode: none\r\n');
      expect(served.body).toContain('max_age: 86400\r\n');
      expect(await presentedFingerprint(`mta-sts.${retired}`)).toBe(certificate);

      await publishId(retired, domain.servedPolicyId!);
      const query = await lab.mtaStsQuery(retired);
      expect(query).toContain('VALID');
      expect(query).not.toMatch(/INVALID|FETCH_ERROR/);
      expect(query).toContain("'mode': 'none'");
      expect(query).toContain(domain.servedPolicyId!);

      // Before the deadline a sweep leaves the host serving.
      await sweep();
      expect((await view(retired)).state).toBe('retiring');
      expect(existsSync(siteFile(retired))).toBe(true);
      expect((await lab.fetchHttps(`mta-sts.${retired}`, '/.well-known/mta-sts.txt')).body).toBe(domain.policy!.text);
      expect(notices.filter((notice) => notice.kind === 'retired')).toEqual([]);
    });

    it('finishes in the checks sweep once the deadline has passed: host removed, one notice listing the records', async () => {
      const retiring = await view(retired);
      expect(retiring.state).toBe('retiring');
      const noneId = retiring.servedPolicyId!;
      const jump = Date.parse(retiring.lifecycle.retireUntil!) - Date.now() + 60_000;
      panel.setClock(() => new Date(Date.now() + jump));

      await sweep();
      const done = await view(retired);
      expect(done.state).toBe('removed');
      expect(done.servedPolicyId).toBeNull();
      expect(existsSync(siteFile(retired))).toBe(false);
      expect(existsSync(join(lab.dataDir, 'policies', `${retired}.txt`))).toBe(false);
      await waitFor('nginx to refuse the retired host', async () =>
        (await handshake(`mta-sts.${retired}`)).startsWith('refused'),
      );
      expect((await lab.fetchHttps(`mta-sts.${watched}`, '/.well-known/mta-sts.txt')).status).toBe(200);

      await waitFor('the retired notice', async () => notices.some((notice) => notice.kind === 'retired'));
      // A second sweep has nothing left to finish.
      await sweep();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const retiredNotices = notices.filter((notice) => notice.kind === 'retired');
      expect(retiredNotices).toHaveLength(1);
      expect(retiredNotices[0].domain).toBe(retired);
      expect(retiredNotices[0].details.records).toEqual([
        expect.objectContaining({ name: `_mta-sts.${retired}`, type: 'TXT', value: `v=STSv1; id=${noneId}` }),
        expect.objectContaining({ name: `mta-sts.${retired}`, type: 'A', value: lab.address }),
      ]);
      expect(retiredNotices[0].text).toContain(`_mta-sts.${retired} TXT v=STSv1; id=${noneId}`);
    });
  });

  describe('audit trail', () => {
    it('lists enable, mode changes and retirement with the actor and the policy ids before and after', async () => {
      const promoActions = (await panel.api<{ actions: Action[] }>('GET', `/api/domains/${promo}/actions`)).body
        .actions;
      const enforceId = promoActions.find(
        (action) => action.action === 'mode' && action.policyIdBefore === firstIds[promo],
      )?.policyIdAfter;
      expect(enforceId).toBeTruthy();
      // Newest first; the three refused promotions left no trace.
      expect(promoActions.filter((action) => ['enable', 'mode'].includes(action.action))).toEqual([
        act('mode', 'api', enforceId, revertId),
        act('mode', 'api', firstIds[promo], enforceId),
        act('enable', 'api', null, firstIds[promo]),
      ]);

      const retireActions = (await panel.api<{ actions: Action[] }>('GET', `/api/domains/${retired}/actions`)).body
        .actions;
      const noneId = retireActions.find((action) => action.action === 'retire')?.policyIdAfter;
      expect(retireActions.filter((action) => ['enable', 'retire', 'retired'].includes(action.action))).toEqual([
        act('retired', 'system', noneId, null),
        act('retire', 'api', firstIds[retired], noneId),
        act('enable', 'api', null, firstIds[retired]),
      ]);
      expect(noneId).not.toBe(firstIds[retired]);

      const removedActions = (await panel.api<{ actions: Action[] }>('GET', `/api/domains/${removed}/actions`)).body
        .actions;
      expect(removedActions[0]).toMatchObject({
        action: 'remove-now',
        actor: 'api',
        policyIdBefore: firstIds[removed],
        policyIdAfter: null,
      });
    });
  });
});

function yesterday(): Date {
  const day = new Date(Date.now() - DAY_MS);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 12));
}

/** An audit record with these fields (and any time and detail). */
function act(
  action: string,
  actor: string,
  policyIdBefore: string | null | undefined,
  policyIdAfter: string | null | undefined,
) {
  return expect.objectContaining({ action, actor, policyIdBefore, policyIdAfter }) as unknown;
}
