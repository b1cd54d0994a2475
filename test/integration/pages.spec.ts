import 'reflect-metadata';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { In } from 'typeorm';
import { CertificateInfo, describeCertificate } from '../../src/mta-sts/domain/certificate';
import { OperationFailedError } from '../../src/mta-sts/domain/errors';
import { MtaStsDomainEntity } from '../../src/mta-sts/persistence';
import { PolicyService } from '../../src/mta-sts/services/policy.service';
import { IssuedCertificate } from '../../src/mta-sts/ports';
import { Fakes, SERVER_IPV4, TestApp, createTestApp } from './helpers/provisioning-app';
import { FakeClock, makeCertificate } from './helpers/renewal-app';
import { makePagesFakes, pagesSetup } from './helpers/pages-app';
import {
  Browser,
  PageAnswer,
  cardsOf,
  decode,
  elementsWithClass,
  forms,
  links,
  mainOf,
  tags,
  textOf,
  unlabelledControls,
} from './helpers/html';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** All checks pass (TXT records published as the card asks). */
const ACTIVE = 'active.example';
/** Enabled a minute ago; the _mta-sts TXT has an old id and _smtp._tls is missing. */
const VERIFYING = 'verifying.example';
/** Enable failed: the CA refused the order. */
const BROKEN = 'broken.example';
/** Added, never enabled. */
const IDLE = 'idle.example';
/** bücher.example, added, never enabled. */
const IDN = 'xn--bcher-kva.example';
/** Stuck in provisioning at the certificate step (set in the database). */
const PENDING = 'pending.example';

const OLD_ID = 'oldid123';
const CA_REFUSAL = 'The certificate authority refused to issue a certificate for mta-sts.broken.example.';
const CA_DETAIL = 'urn:ietf:params:acme:error:rejectedIdentifier: policy forbids issuing for name';

const hostOf = (domain: string) => `mta-sts.${domain}`;
/** A time as the card writes it: `2026-11-22 12:27 UTC`. */
const minuteOf = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const cardPath = (domain: string) => `/mta-sts/domains/${domain}`;

/** A sqlite row for a domain added straight to the database (bulk lists). */
function row(name: string, extra: Partial<MtaStsDomainEntity> = {}): Partial<MtaStsDomainEntity> {
  return {
    name,
    state: 'inactive',
    badge: 'inactive',
    step: null,
    errorStep: null,
    errorMessage: null,
    mode: 'testing',
    maxAge: 604_800,
    mx: [`mx.${name}`],
    mxProblem: null,
    mxCheckedAt: null,
    servedPolicyId: null,
    certIssuer: null,
    certNotBefore: null,
    certNotAfter: null,
    certDirectoryUrl: null,
    enabledAt: null,
    reissues: [],
    ...extra,
  };
}

/** A `<li>` card of the list page for one domain (by its link). */
function cardFor(html: string, domain: string): string {
  const card = cardsOf(html).find((item) => item.includes(`href="/mta-sts/domains/${domain}"`));
  if (!card) throw new Error(`no card for ${domain}`);
  return card;
}

/** The checks on a card page, as [title, status word, summary, remedy]. */
function checksOf(html: string): { title: string; status: string; summary: string; remedy: string | null }[] {
  return elementsWithClass(html, 'li', 'check').map((item) => {
    const paragraphs = [...item.matchAll(/<p\b([^>]*)>([\s\S]*?)<\/p>/g)];
    const status = textOf(elementsWithClass(item, 'span', 'status')[0] ?? '').replace(/^[✓!✕]\s*/, '');
    const remedy = paragraphs.find((p) => p[1].includes('remedy'));
    return {
      title: textOf(/<strong>([\s\S]*?)<\/strong>/.exec(paragraphs[0][2])![1]),
      status,
      summary: textOf(paragraphs[1][2]),
      remedy: remedy ? textOf(remedy[2]).replace(/^What to do:\s*/, '') : null,
    };
  });
}

/** The DNS records table rows as [name, type, value, in-DNS column]. */
function recordRows(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1];
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((tr) =>
    [...tr[1].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((td) =>
      // The copy button's text is not part of the value.
      textOf(td[1].replace(/<button[\s\S]*?<\/button>/g, '')),
    ),
  );
}

function preOf(html: string, className: string): string {
  const match = new RegExp(`<pre class="${className}">([\\s\\S]*?)</pre>`).exec(html);
  if (!match) throw new Error(`no <pre class="${className}">`);
  return decode(match[1]);
}

function flashOf(html: string): string | null {
  const match = /<p class="flash flash-(\w+)"[^>]*>([\s\S]*?)<\/p>/.exec(html);
  return match ? `${match[1]}: ${textOf(match[2])}` : null;
}

function expectHtml(answer: PageAnswer, status = 200): string {
  expect(answer.status).toBe(status);
  expect(String(answer.headers['content-type'])).toMatch(/^text\/html/);
  return answer.text;
}

describe('The server-rendered pages of the real MtaStsModule', () => {
  const certificates = new Map<string, IssuedCertificate>();
  let infos: Map<string, CertificateInfo>;
  let start: Date;

  beforeAll(() => {
    for (const domain of [ACTIVE, VERIFYING]) certificates.set(hostOf(domain), makeCertificate(hostOf(domain), 90));
    infos = new Map([...certificates].map(([host, issued]) => [host, describeCertificate(issued.certificatePem)]));
    const latest = Math.max(...[...infos.values()].map((info) => info.notBefore.getTime()));
    start = new Date(latest + MINUTE);
  });

  /** Fakes answering for every test domain; TXT records as each scenario needs them. */
  function fakesFor(dataDir: string): Fakes {
    const fakes = makePagesFakes(dataDir, certificates, [hostOf(BROKEN)]);
    for (const domain of [ACTIVE, VERIFYING, BROKEN, IDLE, IDN, PENDING]) {
      fakes.dns.mx.set(domain, [{ exchange: `mx.${domain}`, priority: 10 }]);
      fakes.dns.addresses.set(hostOf(domain), { 4: [SERVER_IPV4], 6: [] });
    }
    fakes.dns.txt.set(`_mta-sts.${VERIFYING}`, [`v=STSv1; id=${OLD_ID}`, 'google-site-verification=abc']);
    fakes.dns.txt.set(`_smtp._tls.${VERIFYING}`, []);
    const issue = fakes.ca.answer!;
    fakes.ca.answer = async (host, responder) => {
      if (host === hostOf(BROKEN)) throw new OperationFailedError(CA_REFUSAL, CA_DETAIL);
      return issue(host, responder);
    };
    return fakes;
  }

  async function enable(app: TestApp, domain: string): Promise<void> {
    await app.provisioning.enable(domain);
    await app.provisioning.settled(domain);
  }

  /** Adds ACTIVE with its TXT records published exactly as asked, and enables it. */
  async function addActive(app: TestApp): Promise<void> {
    const added = await app.domains.add(ACTIVE);
    app.dns.txt.set(`_mta-sts.${ACTIVE}`, [`v=STSv1; id=${added.policy!.id}`]);
    app.dns.txt.set(`_smtp._tls.${ACTIVE}`, [`v=TLSRPTv1; rua=mailto:tls-reports@${ACTIVE}`]);
    await enable(app, ACTIVE);
  }

  async function seedEveryState(app: TestApp): Promise<void> {
    await addActive(app);
    await app.domains.add(VERIFYING);
    await enable(app, VERIFYING);
    await app.domains.add(BROKEN);
    await enable(app, BROKEN);
    await app.domains.add(IDLE);
    await app.domains.add('bücher.example');
    await app.domains.add(PENDING);
    await app.domainRows.update({ name: PENDING }, { state: 'provisioning', step: 'certificate', badge: 'verifying' });
  }

  describe('reading (one app with a domain in every state)', () => {
    let dataDir: string;
    let app: TestApp;
    let admin: Browser;
    let viewer: Browser;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-pages-read-'));
      app = await createTestApp(dataDir, fakesFor(dataDir), pagesSetup(new FakeClock(start)));
      await seedEveryState(app);
      // The states the scenario was built for, before any page is looked at.
      const badges = Object.fromEntries(
        (await app.domainRows.find()).map((entity) => [entity.name, [entity.state, entity.badge]]),
      );
      expect(badges).toEqual({
        [ACTIVE]: ['active', 'active'],
        [VERIFYING]: ['active', 'verifying'],
        [BROKEN]: ['error', 'error'],
        [IDLE]: ['inactive', 'inactive'],
        [IDN]: ['inactive', 'inactive'],
        [PENDING]: ['provisioning', 'verifying'],
      });
      admin = new Browser(app.app.getHttpServer(), 'admin');
      viewer = new Browser(app.app.getHttpServer(), 'viewer');
    });

    afterAll(async () => {
      await app.app.close();
      rmSync(dataDir, { recursive: true, force: true });
      expect(app.unexpected.calls).toEqual([]);
    });

    describe('the list', () => {
      it('shows one card per domain with its badge word, mode, certificate expiry and failing check', async () => {
        const html = expectHtml(await admin.get('/mta-sts'));
        const main = mainOf(html);
        expect(cardsOf(main)).toHaveLength(6);
        expect(textOf(/<p class="count">([\s\S]*?)<\/p>/.exec(main)![1])).toBe('6 domain(s).');
        // Sorted by A-label name.
        expect(
          links(main)
            .filter((link) => link.href.startsWith('/mta-sts/domains/'))
            .map((link) => link.href),
        ).toEqual([ACTIVE, BROKEN, IDLE, PENDING, VERIFYING, IDN].map(cardPath));

        const badgeOf = (domain: string) => textOf(elementsWithClass(cardFor(main, domain), 'span', 'badge')[0]);
        expect(badgeOf(ACTIVE)).toBe('✓ Active');
        expect(badgeOf(VERIFYING)).toBe('… Verifying');
        expect(badgeOf(BROKEN)).toBe('✕ Error');
        expect(badgeOf(IDLE)).toBe('○ Inactive');
        expect(badgeOf(PENDING)).toBe('… Verifying');
        expect(cardFor(main, ACTIVE)).toMatch(/^\s*<h2>/);
        expect(main).toContain('<li class="card card-active">');
        expect(main).toContain('<li class="card card-error">');

        const active = textOf(cardFor(main, ACTIVE));
        const activeExpiry = infos.get(hostOf(ACTIVE))!.notAfter.toISOString().slice(0, 10);
        expect(active).toBe(`active.example ✓ Active Mode: Testing Certificate expires ${activeExpiry} (89 days left)`);

        const verifying = textOf(cardFor(main, VERIFYING));
        expect(verifying).toContain('Mode: Testing');
        expect(verifying).toContain(
          `Policy id in DNS matches: _mta-sts.${VERIFYING} announces id ${OLD_ID}, but the served policy has id`,
        );
        expect(verifying).toContain('(89 days left)');

        const broken = textOf(cardFor(main, BROKEN));
        expect(broken).toContain(`Failed: ${CA_REFUSAL} Details: ${CA_DETAIL}`);
        expect(broken).not.toContain('Certificate expires');

        expect(textOf(cardFor(main, PENDING))).toContain('In progress: Obtaining the certificate');
        expect(textOf(cardFor(main, IDN))).toBe('bücher.example (xn--bcher-kva.example) ○ Inactive Mode: Testing');
        expect(textOf(cardFor(main, IDLE))).toBe('idle.example ○ Inactive Mode: Testing');
      });

      it('finds domains by part of the name, also by their Unicode name', async () => {
        const partial = mainOf(expectHtml(await admin.get('/mta-sts?q=ver')));
        expect(cardsOf(partial).map(textOf)).toEqual([expect.stringMatching(/^verifying\.example /)]);
        expect(textOf(/<p class="count">([\s\S]*?)<\/p>/.exec(partial)![1])).toBe('1 domain(s) match.');
        expect(tags(partial, 'input').find((input) => input.id === 'q')?.value).toBe('ver');

        const unicode = mainOf(expectHtml(await admin.get(`/mta-sts?q=${encodeURIComponent('bücher')}`)));
        expect(cardsOf(unicode)).toHaveLength(1);
        expect(cardsOf(unicode)[0]).toContain(`href="/mta-sts/domains/${IDN}"`);
        expect(tags(unicode, 'input').find((input) => input.id === 'q')?.value).toBe('bücher');

        const aLabel = mainOf(expectHtml(await admin.get('/mta-sts?q=xn--bcher')));
        expect(cardsOf(aLabel)).toHaveLength(1);

        const none = mainOf(expectHtml(await admin.get('/mta-sts?q=nothing-here')));
        expect(cardsOf(none)).toEqual([]);
        expect(textOf(none)).toContain('No domain matches.');
        expect(textOf(none)).toContain('0 domain(s) match.');

        // LIKE wildcards are not passed through.
        expect(cardsOf(mainOf((await admin.get('/mta-sts?q=%25')).text))).toHaveLength(6);
      });

      it('finds a Unicode domain by part of its Unicode name, as the list shows it', async () => {
        // The card reads "bücher.example"; typing part of that must find it.
        for (const q of ['büch', 'ücher', 'bücher']) {
          const html = mainOf(expectHtml(await admin.get(`/mta-sts?q=${encodeURIComponent(q)}`)));
          expect({ q, cards: cardsOf(html).length }).toEqual({ q, cards: 1 });
        }
      });

      it('filters by badge and keeps the chosen badge selected', async () => {
        const errors = mainOf(expectHtml(await admin.get('/mta-sts?badge=error')));
        expect(cardsOf(errors).map((card) => textOf(card).split(' ')[0])).toEqual([BROKEN]);
        const selected = /<select id="badge"[\s\S]*?<\/select>/.exec(errors)![0];
        expect(selected).toContain('<option value="error" selected>Error</option>');
        expect(selected).toContain('<option value="active">Active</option>');

        const verifying = mainOf(expectHtml(await admin.get('/mta-sts?badge=verifying')));
        expect(cardsOf(verifying).map((card) => textOf(card).split(' ')[0])).toEqual([PENDING, VERIFYING]);

        const both = mainOf(expectHtml(await admin.get('/mta-sts?badge=verifying&q=pend')));
        expect(cardsOf(both).map((card) => textOf(card).split(' ')[0])).toEqual([PENDING]);

        // An unknown badge is ignored rather than matching nothing.
        expect(cardsOf(mainOf((await admin.get('/mta-sts?badge=bogus')).text))).toHaveLength(6);
      });
    });

    describe('the card', () => {
      it('spells out every check with its status word, summary and what to do', async () => {
        const html = mainOf(expectHtml(await admin.get(cardPath(VERIFYING))));
        const view = await app.domains.get(VERIFYING);
        const checks = checksOf(html);
        expect(checks.map((check) => [check.title, check.status])).toEqual([
          ['DNS resolves to this server', 'Pass'],
          ['HTTPS policy endpoint reachable', 'Pass'],
          ['Certificate valid', 'Pass'],
          ['Policy id in DNS matches', 'Fail'],
          ['TLS reporting record', 'Warning'],
          ['MX hosts covered by the policy', 'Pass'],
          ['MX hosts accept TLS (STARTTLS probe)', 'Pass'],
        ]);
        expect(checks.map((check) => check.summary)).toEqual(view.checks.map((check) => check.summary));
        expect(checks[0].summary).toBe(`${hostOf(VERIFYING)} points at this server.`);
        expect(checks[3].summary).toBe(
          `_mta-sts.${VERIFYING} announces id ${OLD_ID}, but the served policy has id ${view.servedPolicyId}.`,
        );
        // A remedy only where something is wrong.
        expect(checks.map((check) => check.remedy)).toEqual([
          null,
          null,
          null,
          `Change the TXT record _mta-sts.${VERIFYING} to "v=STSv1; id=${view.servedPolicyId}". Senders keep using their cached policy until the id changes.`,
          `Publish the TXT record _smtp._tls.${VERIFYING} "v=TLSRPTv1; rua=mailto:tls-reports@${VERIFYING}".`,
          null,
          null,
        ]);
        expect(html).toContain('<li class="check check-fail">');
        expect(html).toContain('<li class="check check-warn">');
        expect(textOf(html)).toContain(`Last run ${minuteOf(start)}.`);
      });

      it('shows each DNS record as Live, Mismatch (with what was found) or Not published, and as zone lines', async () => {
        const html = mainOf(expectHtml(await admin.get(cardPath(VERIFYING))));
        const id = (await app.domains.get(VERIFYING)).policy!.id;
        expect(recordRows(html)).toEqual([
          [`_mta-sts.${VERIFYING}`, 'TXT', `v=STSv1; id=${id}`, `Mismatch Found: "v=STSv1; id=${OLD_ID}"`],
          [hostOf(VERIFYING), 'A', SERVER_IPV4, 'Live'],
          [`_smtp._tls.${VERIFYING}`, 'TXT', `v=TLSRPTv1; rua=mailto:tls-reports@${VERIFYING}`, 'Not published'],
        ]);
        expect(html).toContain('<span class="visibility visibility-mismatch">Mismatch</span>');
        expect(html).toContain('<span class="visibility visibility-live">Live</span>');
        expect(html).toContain('<span class="visibility visibility-not-published">Not published</span>');
        expect(preOf(html, 'zone').split('\n')).toEqual([
          `_mta-sts.${VERIFYING}.\t3600\tIN\tTXT\t"v=STSv1; id=${id}"`,
          `${hostOf(VERIFYING)}.\t3600\tIN\tA\t${SERVER_IPV4}`,
          `_smtp._tls.${VERIFYING}.\t3600\tIN\tTXT\t"v=TLSRPTv1; rua=mailto:tls-reports@${VERIFYING}"`,
        ]);
        // The copy buttons carry the exact values (shown once panel.js runs).
        const copies = tags(html, 'button').filter((button) => button.class === 'copy');
        expect(copies.map((button) => button['data-copy'])).toEqual([
          `v=STSv1; id=${id}`,
          SERVER_IPV4,
          `v=TLSRPTv1; rua=mailto:tls-reports@${VERIFYING}`,
          preOf(html, 'zone'),
        ]);
        expect(copies.every((button) => 'hidden' in button)).toBe(true);
      });

      it('says when the records of a domain not enabled yet will be checked', async () => {
        const html = mainOf(expectHtml(await admin.get(cardPath(IDLE))));
        expect(recordRows(html).map((cells) => cells[3])).toEqual([
          'Checked once enabled',
          'Checked once enabled',
          'Checked once enabled',
        ]);
        expect(textOf(html)).toContain('The checks run once the domain is enabled.');
        expect(textOf(html)).toContain('(not served yet: the policy host serves it once Enable has finished)');
        expect(textOf(html)).toContain('No certificate yet; Enable obtains one.');
      });

      it('shows the policy with its id, and the certificate with issuer, dates and days left', async () => {
        const html = mainOf(expectHtml(await admin.get(cardPath(ACTIVE))));
        const view = await app.domains.get(ACTIVE);
        expect(preOf(html, 'policy')).toBe(
          'version: STSv1\r\nmode: testing\r\nmx: mx.active.example\r\nmax_age: 604800\r\n',
        );
        expect(view.policy!.id).toMatch(/^\d{8}T\d{6}n\d+$/);
        // Served since Enable; the first checks already saw the id in DNS.
        expect(textOf(html)).toContain(
          `Id ${view.policy!.id} (served since ${minuteOf(start)}; seen in DNS ${minuteOf(start)})`,
        );
        const info = infos.get(hostOf(ACTIVE))!;
        const facts = textOf(/<dl class="facts">([\s\S]*?)<\/dl>/.exec(html)![1]);
        expect(facts).toContain(`Issuer ${hostOf(ACTIVE)} (Integration Test CA)`);
        expect(facts).toContain(`Issued ${info.notBefore.toISOString().slice(0, 10)}`);
        expect(facts).toContain(`Expires ${info.notAfter.toISOString().slice(0, 10)} (89 days left)`);
        expect(facts).toContain('Renewal due');
        expect(Math.floor((info.notAfter.getTime() - start.getTime()) / DAY)).toBe(89);
        expect(checksOf(html).every((check) => check.status === 'Pass')).toBe(true);
        expect(recordRows(html).map((cells) => cells[3])).toEqual(['Live', 'Live', 'Live']);
        // Active with the TXT id matching: no "new id pending" notice.
        expect(html).not.toContain('class="notice"');
      });

      it('refreshes itself while provisioning and names the running step', async () => {
        const page = expectHtml(await admin.get(cardPath(PENDING)));
        expect(page).toContain('<meta http-equiv="refresh" content="3">');
        // Every step, with the ones done, the one running and the ones to come.
        expect(textOf(mainOf(page))).toContain(
          'Enabling Looking up the MX records: done Writing the policy file: done ' +
            'Configuring nginx for the ACME challenge (port 80): done ' +
            'Checking that the policy host resolves to this server: done ' +
            'Checking that this server answers for the policy host on port 80: done ' +
            'Obtaining the certificate: running Configuring nginx to serve the policy over HTTPS: to come ' +
            'Fetching the policy over HTTPS: to come This page refreshes itself until Enable is done.',
        );
        // No action while a run is under way (except leaving it alone), and no empty Actions heading.
        expect(forms(mainOf(page)).filter((form) => form.method === 'post')).toEqual([]);
        expect(textOf(mainOf(page))).not.toContain('Actions');
        // The policy file is written, but no sender can fetch it before the HTTPS host exists.
        expect(textOf(mainOf(page))).toContain('(not served yet: the policy host serves it once Enable has finished)');
        // Other cards do not refresh.
        expect((await admin.get(cardPath(ACTIVE))).text).not.toContain('http-equiv="refresh"');
        expect((await admin.get('/mta-sts')).text).not.toContain('http-equiv="refresh"');
      });

      it('shows a failed Enable with its step and message, without a stack trace or JSON', async () => {
        const html = mainOf(expectHtml(await admin.get(cardPath(BROKEN))));
        const problem = textOf(elementsWithClass(html, 'div', 'problem')[0]);
        expect(problem).toBe(
          `Enabling stopped at this step: Obtaining the certificate. ${CA_REFUSAL} Details: ${CA_DETAIL} Fix what it says, then choose Enable again.`,
        );
        expect(html).toMatch(/<div class="problem" role="alert">/);
        expect(html).not.toMatch(/\bat \S+ \(|\.ts:\d+|node_modules|OperationFailedError/);
        expect(html).not.toMatch(/\{\s*&quot;|\{"/);
        // Enable again is offered; there is no certificate.
        expect(forms(html).map((form) => form.action)).toContain(`/mta-sts/domains/${BROKEN}/enable`);
        expect(textOf(html)).toContain('No certificate yet');
      });
    });

    describe('roles', () => {
      it('gives an admin the action forms of the domain’s state', async () => {
        const idle = forms(mainOf(expectHtml(await admin.get(cardPath(IDLE)))));
        expect(idle.filter((form) => form.method === 'post').map((form) => [form.action, form.buttons])).toEqual([
          [`/mta-sts/domains/${IDLE}/enable`, ['Enable']],
          [`/mta-sts/domains/${IDLE}/refresh-mx`, ['Refresh MX from DNS']],
          [`/mta-sts/domains/${IDLE}/max-age`, ['Set max age']],
        ]);
        // One token for every form of the page, signed for this browser: not the cookie itself.
        expect(admin.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(admin.csrfToken).not.toBe(admin.csrfCookie);
        expect(idle.every((form) => form.fields._csrf === admin.csrfToken)).toBe(true);
        const idleLinks = links(mainOf((await admin.get(cardPath(IDLE))).text)).map((link) => link.text);
        // Promotion needs a domain that serves its testing policy and passes its checks.
        expect(idleLinks).toEqual(['All domains', 'Delete']);

        const active = mainOf((await admin.get(cardPath(ACTIVE))).text);
        expect(forms(active).map((form) => form.action)).toEqual([
          `/mta-sts/domains/${ACTIVE}/checks`,
          `/mta-sts/domains/${ACTIVE}/refresh-mx`,
          `/mta-sts/domains/${ACTIVE}/max-age`,
        ]);
        expect(links(active).map((link) => link.text)).toEqual([
          'All domains',
          'Promote to enforce',
          'Re-issue certificate (3 of 3 left this week)',
          'Disable (retire)',
          'Remove now',
        ]);

        const list = forms(mainOf((await admin.get('/mta-sts')).text));
        expect(list.map((form) => [form.method, form.action])).toEqual([
          ['get', '/mta-sts'],
          ['post', '/mta-sts/domains'],
        ]);
        expect((await admin.get('/mta-sts')).text).toContain('Signed in as administrator');
      });

      it('shows a viewer the same card without any form that posts', async () => {
        for (const domain of [ACTIVE, VERIFYING, BROKEN, IDLE]) {
          const page = expectHtml(await viewer.get(cardPath(domain)));
          expect(forms(page).filter((form) => form.method === 'post')).toEqual([]);
          expect(page).not.toContain('id="actions-h"');
          // The same facts as the admin sees.
          const adminMain = mainOf((await admin.get(cardPath(domain))).text);
          expect(checksOf(mainOf(page))).toEqual(checksOf(adminMain));
          expect(recordRows(mainOf(page))).toEqual(recordRows(adminMain));
        }
        const list = expectHtml(await viewer.get('/mta-sts'));
        expect(forms(list).map((form) => form.method)).toEqual(['get']);
        expect(cardsOf(list)).toHaveLength(6);
        expect(list).toContain('Signed in as read-only user');
        const confirm = expectHtml(await viewer.get(`${cardPath(IDLE)}/confirm/remove`));
        expect(forms(confirm)).toEqual([]);
        expect(textOf(mainOf(confirm))).toContain('Delete this domain from the panel?');
      });

      it('refuses a viewer’s POST with a valid CSRF token with a 403 page, and changes nothing', async () => {
        await viewer.get(cardPath(IDLE));
        expect(viewer.csrfCookie).toMatch(/^[0-9a-f]{64}$/);
        // A viewer's pages have no forms to post; a valid pair is one an admin's page gave.
        await admin.get(cardPath(IDLE));
        viewer.cookies.set('mta_sts_csrf', admin.csrfCookie!);
        viewer.csrfToken = admin.csrfToken;
        const lookups = app.dns.lookups.length;

        for (const [path, form] of [
          [`${cardPath(IDLE)}/enable`, {}],
          [`${cardPath(IDLE)}/remove`, { confirm: 'yes' }],
          [`${cardPath(IDLE)}/max-age`, { maxAge: '86400' }],
          ['/mta-sts/domains', { domain: 'new.example' }],
        ] as const) {
          const refused = await viewer.post(path, form);
          const html = expectHtml(refused, 403);
          expect(textOf(mainOf(html))).toBe('Not allowed Your account can look at domains but not change them.');
        }
        expect(app.dns.lookups.length).toBe(lookups);
        const idle = await app.domains.get(IDLE);
        expect([idle.state, idle.maxAge]).toEqual(['inactive', 604_800]);
        expect(await app.domainRows.countBy({ name: 'new.example' })).toBe(0);
      });

      it('answers 401 with a sign-in page to someone without a role', async () => {
        const nobody = new Browser(app.app.getHttpServer());
        for (const path of ['/mta-sts', cardPath(ACTIVE), `${cardPath(IDLE)}/confirm/remove`]) {
          const html = expectHtml(await nobody.get(path), 401);
          expect(textOf(mainOf(html))).toBe('Sign in Sign in to see this page.');
          expect(html).not.toContain(ACTIVE);
        }
        const posted = await nobody.post(`${cardPath(IDLE)}/enable`, {}, { csrf: 'a'.repeat(64) });
        expect(posted.status).toBe(401);
        expect((await app.domains.get(IDLE)).state).toBe('inactive');
      });
    });

    describe('security headers and markup', () => {
      it('sends a Content-Security-Policy without inline script, and the pages need none', async () => {
        const pages = [
          await admin.get('/mta-sts'),
          await admin.get('/mta-sts?q=ex&badge=active'),
          ...(await Promise.all([ACTIVE, VERIFYING, BROKEN, IDLE, IDN, PENDING].map((d) => admin.get(cardPath(d))))),
          await admin.get(`${cardPath(ACTIVE)}/confirm/promote`),
          await admin.get(`${cardPath(ACTIVE)}/confirm/retire`),
          await admin.get(`${cardPath(ACTIVE)}/confirm/remove-now`),
          await viewer.get(cardPath(ACTIVE)),
          await new Browser(app.app.getHttpServer()).get('/mta-sts'),
        ];
        for (const page of pages) {
          const csp = String(page.headers['content-security-policy']);
          expect(csp).toContain("script-src 'self'");
          expect(csp).toContain("style-src 'self'");
          expect(csp).toContain("frame-ancestors 'none'");
          expect(csp).not.toContain('unsafe-inline');
          expect(csp).not.toContain('unsafe-eval');
          expect(page.headers['x-content-type-options']).toBe('nosniff');
          expect(page.headers['x-powered-by']).toBeUndefined();
          const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
          expect(scripts.map((script) => [script[1].trim(), script[2]])).toEqual([
            ['src="/mta-sts/assets/panel.js" defer', ''],
          ]);
          expect(page.text).not.toMatch(/\sstyle\s*=/i);
          expect(page.text).not.toMatch(/<style\b/i);
          expect(page.text).not.toMatch(/\son[a-z]+\s*=/i);
          expect(page.text).not.toMatch(/javascript:/i);
        }
        expect(pages.filter((page) => page.status === 200)).toHaveLength(pages.length - 1);
      });

      it('serves the stylesheet and script from the module itself', async () => {
        const css = await admin.get('/mta-sts/assets/panel.css');
        expect(css.status).toBe(200);
        expect(String(css.headers['content-type'])).toMatch(/^text\/css/);
        const js = await admin.get('/mta-sts/assets/panel.js');
        expect(js.status).toBe(200);
        expect(String(js.headers['content-type'])).toMatch(/^text\/javascript/);
        expect(js.text).toContain('navigator.clipboard.writeText');
        expect((await admin.get('/mta-sts/assets/..%2Fdomains.hbs')).status).toBe(404);
      });

      it('labels every input and select, and puts words in every badge', async () => {
        const pages = [
          await admin.get('/mta-sts'),
          ...(await Promise.all([ACTIVE, VERIFYING, BROKEN, IDLE].map((domain) => admin.get(cardPath(domain))))),
        ];
        for (const page of pages) {
          expect(unlabelledControls(page.text)).toEqual([]);
          const ids = tags(page.text, '[a-z]+').map((tag) => tag.id);
          const duplicated = ids.filter((id, at) => id !== undefined && ids.indexOf(id) !== at);
          expect(duplicated).toEqual([]);
          const badges = elementsWithClass(page.text, 'span', 'badge');
          expect(badges.length).toBeGreaterThan(0);
          for (const badge of badges) {
            // The symbol is hidden from screen readers; the word is what they read.
            const spoken = textOf(badge.replace(/<span aria-hidden="true">[\s\S]*?<\/span>/, ''));
            expect(['Active', 'Verifying', 'Error', 'Inactive']).toContain(spoken);
          }
        }
        const list = (await admin.get('/mta-sts')).text;
        expect(tags(list, 'label').map((label) => label.for)).toEqual(['q', 'badge', 'new-domain']);
        const card = (await admin.get(cardPath(IDLE))).text;
        expect(tags(card, 'label').map((label) => label.for)).toEqual(['max-age']);
        expect(list).toContain('<html lang="en">');
        expect(list).toContain('<a class="skip" href="#main">Skip to content</a>');
      });
    });
  });

  describe('pagination', () => {
    let dataDir: string;
    let app: TestApp;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-pages-bulk-'));
      app = await createTestApp(dataDir, fakesFor(dataDir), pagesSetup(new FakeClock(start)));
      const names = Array.from({ length: 120 }, (_, at) => `bulk-${String(at + 1).padStart(3, '0')}.example`);
      await app.domainRows.save(names.map((name) => app.domainRows.create(row(name))));
      // Ten of them failed, so the badge filter has something to page through.
      await app.domainRows.update(
        { name: In(names.filter((_, at) => at % 12 === 0)) },
        { state: 'error', badge: 'error', errorStep: 'certificate', errorMessage: 'The CA said no.' },
      );
    });

    afterAll(async () => {
      await app.app.close();
      rmSync(dataDir, { recursive: true, force: true });
      expect(app.unexpected.calls).toEqual([]);
    });

    const browser = () => new Browser(app.app.getHttpServer(), 'viewer');
    const pagination = (html: string) => {
      const nav = /<nav class="pagination"[^>]*>([\s\S]*?)<\/nav>/.exec(html);
      return nav ? { text: textOf(nav[1]), links: links(nav[1]) } : null;
    };
    const names = (html: string) => cardsOf(html).map((card) => textOf(card).split(' ')[0]);

    it('pages through 120 domains 50 at a time', async () => {
      const first = mainOf(expectHtml(await browser().get('/mta-sts')));
      expect(textOf(first)).toContain('120 domain(s).');
      expect(cardsOf(first)).toHaveLength(50);
      expect(names(first)[0]).toBe('bulk-001.example');
      expect(names(first)[49]).toBe('bulk-050.example');
      expect(pagination(first)).toEqual({
        text: 'Page 1 of 3 Next',
        links: [{ href: '?page=2', text: 'Next', rel: 'next' }],
      });

      const second = mainOf((await browser().get('/mta-sts?page=2')).text);
      expect(names(second)[0]).toBe('bulk-051.example');
      expect(pagination(second)).toEqual({
        text: 'Previous Page 2 of 3 Next',
        links: [
          { href: '?', text: 'Previous', rel: 'prev' },
          { href: '?page=3', text: 'Next', rel: 'next' },
        ],
      });

      const third = mainOf((await browser().get('/mta-sts?page=3')).text);
      expect(cardsOf(third)).toHaveLength(20);
      expect(names(third).at(-1)).toBe('bulk-120.example');
      expect(pagination(third)).toEqual({
        text: 'Previous Page 3 of 3',
        links: [{ href: '?page=2', text: 'Previous', rel: 'prev' }],
      });

      // Past the end shows the last page; nonsense shows the first.
      expect(names(mainOf((await browser().get('/mta-sts?page=99')).text))).toEqual(names(third));
      expect(names(mainOf((await browser().get('/mta-sts?page=-1')).text))).toEqual(names(first));
    });

    it('keeps the search and the badge filter in the page links', async () => {
      const searched = mainOf((await browser().get('/mta-sts?q=bulk-0')).text);
      expect(textOf(searched)).toContain('99 domain(s) match.');
      expect(pagination(searched)!.links).toEqual([{ href: '?q=bulk-0&page=2', text: 'Next', rel: 'next' }]);
      const back = mainOf((await browser().get('/mta-sts?q=bulk-0&page=2')).text);
      expect(cardsOf(back)).toHaveLength(49);
      expect(pagination(back)!.links).toEqual([{ href: '?q=bulk-0', text: 'Previous', rel: 'prev' }]);

      const errors = mainOf((await browser().get('/mta-sts?badge=error')).text);
      expect(names(errors)).toEqual(
        Array.from({ length: 10 }, (_, at) => `bulk-${String(at * 12 + 1).padStart(3, '0')}.example`),
      );
      expect(pagination(errors)).toBeNull();
      expect(textOf(cardsOf(errors)[0])).toContain('Failed: The CA said no.');
    });
  });

  describe('actions', () => {
    let dataDir: string;
    let app: TestApp;
    let admin: Browser;

    beforeEach(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-pages-act-'));
      app = await createTestApp(dataDir, fakesFor(dataDir), pagesSetup(new FakeClock(start)));
      admin = new Browser(app.app.getHttpServer(), 'admin');
    });

    afterEach(async () => {
      for (const domain of [ACTIVE, VERIFYING, BROKEN, IDLE]) await app.provisioning.settled(domain);
      await app.app.close();
      rmSync(dataDir, { recursive: true, force: true });
      expect(app.unexpected.calls).toEqual([]);
    });

    describe('CSRF', () => {
      it('refuses a POST without the token, with a wrong one, or without the cookie, and changes nothing', async () => {
        await app.domains.add(IDLE);
        await admin.get('/mta-sts');
        const token = admin.csrfCookie!;
        expect(token).toMatch(/^[0-9a-f]{64}$/);
        const cookie = admin.cookies.get('mta_sts_csrf');
        const lookups = app.dns.lookups.length;

        const missing = await admin.post('/mta-sts/domains', { domain: ACTIVE }, { csrf: false });
        expect(textOf(mainOf(expectHtml(missing, 403)))).toBe(
          'Not allowed The form has expired. Go back, reload the page and try again.',
        );
        const wrong = await admin.post('/mta-sts/domains', { domain: ACTIVE }, { csrf: 'b'.repeat(64) });
        expect(wrong.status).toBe(403);
        const short = await admin.post(`${cardPath(IDLE)}/remove`, { confirm: 'yes' }, { csrf: token.slice(1) });
        expect(short.status).toBe(403);
        admin.cookies.delete('mta_sts_csrf');
        const noCookie = await admin.post(`${cardPath(IDLE)}/max-age`, { maxAge: '86400' }, { csrf: token });
        expect(noCookie.status).toBe(403);
        admin.cookies.set('mta_sts_csrf', cookie!);

        expect(app.dns.lookups.length).toBe(lookups);
        expect(await app.domainRows.countBy({ name: ACTIVE })).toBe(0);
        expect((await app.domains.get(IDLE)).maxAge).toBe(604_800);
        const list = mainOf((await admin.get('/mta-sts')).text);
        expect(cardsOf(list)).toHaveLength(1);
        expect(flashOf(list)).toBeNull();
      });

      it('sets the CSRF cookie HttpOnly and SameSite=Strict, and keeps the token across pages', async () => {
        const first = await admin.get('/mta-sts');
        const cookie = first.cookies.find((c) => c.name === 'mta_sts_csrf')!;
        expect(cookie.attributes.httponly).toBe(true);
        expect(cookie.attributes.samesite).toBe('Strict');
        expect(cookie.attributes.path).toBe('/');
        const second = await admin.get('/mta-sts');
        expect(second.cookies.find((c) => c.name === 'mta_sts_csrf')).toBeUndefined();
        expect(forms(second.text).find((form) => form.method === 'post')!.fields._csrf).toBe(admin.csrfToken);
        expect(admin.csrfToken).not.toBe(cookie.value);
      });
    });

    describe('post, redirect, get', () => {
      it('adds a domain, redirects to its card with 303 and shows the message once', async () => {
        await admin.get('/mta-sts');
        const added = await admin.post('/mta-sts/domains', { domain: 'Idle.Example.' });
        expect(added.status).toBe(303);
        expect(added.location).toBe(cardPath(IDLE));

        const card = mainOf(expectHtml(await admin.get(added.location!)));
        expect(flashOf(card)).toBe('success: idle.example was added. Publish the DNS records below, then Enable.');
        expect(card).toContain('role="status"');
        expect(textOf(card)).toContain('○ Inactive');
        expect(flashOf(mainOf((await admin.get(added.location!)).text))).toBeNull();
        expect(app.dns.lookups).toEqual([`MX ${IDLE}`]);
      });

      it('adds a Unicode domain and redirects to its A-label card', async () => {
        await admin.get('/mta-sts');
        const added = await admin.post('/mta-sts/domains', { domain: 'bücher.example' });
        expect(added.status).toBe(303);
        expect(added.location).toBe(cardPath(IDN));
        const card = mainOf((await admin.get(added.location!)).text);
        expect(flashOf(card)).toBe('success: bücher.example was added. Publish the DNS records below, then Enable.');
        expect(textOf(/<h1>([\s\S]*?)<\/h1>/.exec(card)![1])).toBe(`bücher.example (${IDN})`);
      });

      it('sends an invalid domain back to the list with the reason', async () => {
        await admin.get('/mta-sts');
        const refused = await admin.post('/mta-sts/domains', { domain: 'not a domain' });
        expect(refused.status).toBe(303);
        expect(refused.location).toBe('/mta-sts');
        const list = mainOf((await admin.get('/mta-sts')).text);
        expect(flashOf(list)).toBe(
          'error: "not a domain" is not a valid domain name: only letters, digits, hyphens and dots are allowed.',
        );
        expect(list).toContain('role="alert"');
        expect(cardsOf(list)).toEqual([]);
        expect(flashOf(mainOf((await admin.get('/mta-sts')).text))).toBeNull();

        // What the admin typed comes back escaped.
        await admin.post('/mta-sts/domains', { domain: '<img src=x onerror=alert(1)>' });
        const escaped = await admin.get('/mta-sts');
        expect(escaped.text).not.toContain('<img');
        expect(flashOf(escaped.text)).toBe(
          'error: "<img src=x onerror=alert(1)>" is not a valid domain name: only letters, digits, hyphens and dots are allowed.',
        );

        await app.domains.add(IDLE);
        const twice = await admin.post('/mta-sts/domains', { domain: IDLE });
        expect(twice.location).toBe('/mta-sts');
        expect(flashOf((await admin.get('/mta-sts')).text)).toBe('error: idle.example is already managed here.');
      });

      it('enables a domain from its card and follows the run to Active', async () => {
        const added = await app.domains.add(ACTIVE);
        app.dns.txt.set(`_mta-sts.${ACTIVE}`, [`v=STSv1; id=${added.policy!.id}`]);
        app.dns.txt.set(`_smtp._tls.${ACTIVE}`, [`v=TLSRPTv1; rua=mailto:tls-reports@${ACTIVE}`]);
        await admin.get(cardPath(ACTIVE));
        const enabled = await admin.post(`${cardPath(ACTIVE)}/enable`);
        expect(enabled.status).toBe(303);
        expect(enabled.location).toBe(cardPath(ACTIVE));
        await app.provisioning.settled(ACTIVE);
        const card = mainOf((await admin.get(cardPath(ACTIVE))).text);
        expect(flashOf(card)).toBe('info: Enabling: the steps run in the background and this card follows them.');
        expect(textOf(elementsWithClass(card, 'span', 'badge')[0])).toBe('✓ Active');
        expect(app.ca.issued).toEqual([hostOf(ACTIVE)]);
      });

      it('shows a failing action’s message on the card', async () => {
        await app.domains.add(IDLE);
        await admin.get(cardPath(IDLE));
        const checks = await admin.post(`${cardPath(IDLE)}/checks`);
        expect(checks.status).toBe(303);
        expect(checks.location).toBe(cardPath(IDLE));
        expect(flashOf((await admin.get(cardPath(IDLE))).text)).toBe(
          'error: idle.example is inactive; checks run for enabled domains. Enable it first.',
        );
      });
    });

    describe('confirmations and policy changes', () => {
      it('asks before promoting to enforce, then serves the new policy and names its id', async () => {
        await addActive(app);
        const before = await app.domains.get(ACTIVE);
        await admin.get(cardPath(ACTIVE));

        const unconfirmed = await admin.post(`${cardPath(ACTIVE)}/promote`);
        expect(unconfirmed.status).toBe(303);
        expect(unconfirmed.location).toBe(`${cardPath(ACTIVE)}/confirm/promote`);
        expect((await app.domains.get(ACTIVE)).mode).toBe('testing');

        const confirm = mainOf(expectHtml(await admin.get(unconfirmed.location!)));
        expect(textOf(/<h1>([\s\S]*?)<\/h1>/.exec(confirm)![1])).toBe('Switch to enforce mode?');
        expect(textOf(confirm)).toContain(
          'In enforce mode, senders that honour MTA-STS refuse to deliver to an MX host whose TLS certificate they cannot validate.',
        );
        const [form] = forms(confirm);
        expect(form).toMatchObject({
          method: 'post',
          action: `${cardPath(ACTIVE)}/promote`,
          fields: { _csrf: admin.csrfToken, confirm: 'yes' },
          buttons: ['Switch to enforce'],
        });
        expect(links(confirm).map((link) => [link.text, link.href])).toContainEqual(['Cancel', cardPath(ACTIVE)]);

        const promoted = await admin.post(form.action, { confirm: 'yes' });
        expect(promoted.status).toBe(303);
        expect(promoted.location).toBe(cardPath(ACTIVE));
        const after = await app.domains.get(ACTIVE);
        expect(after.mode).toBe('enforce');
        expect(after.state).toBe('changing');
        expect(after.servedPolicyId).not.toBe(before.servedPolicyId);
        expect(readFileSync(join(dataDir, 'policies', `${ACTIVE}.txt`), 'utf8')).toContain('mode: enforce\r\n');

        const card = mainOf((await admin.get(cardPath(ACTIVE))).text);
        expect(textOf(card)).toContain('Mode: Enforce');
        expect(flashOf(card)).toBe(
          `success: The policy is now in enforce mode. The policy id is now ${after.servedPolicyId}: publish _mta-sts TXT "v=STSv1; id=${after.servedPolicyId}" so senders fetch the new policy.`,
        );
        // DNS still announces the old id: the card says so and the record shows the mismatch.
        expect(elementsWithClass(card, 'p', 'notice').map(textOf)).toEqual([
          `New policy id ${after.servedPolicyId} not yet visible in DNS: publish _mta-sts.${ACTIVE} TXT "v=STSv1; id=${after.servedPolicyId}" so senders fetch the new policy.`,
        ]);
        expect(textOf(card)).toContain(
          `Id ${after.servedPolicyId} (served since ${minuteOf(start)}; not yet seen in DNS)`,
        );
        expect(recordRows(card)[0][3]).toBe(`Mismatch Found: "v=STSv1; id=${before.servedPolicyId}"`);
        expect(links(card).map((link) => link.text)).not.toContain('Promote to enforce');
        expect(forms(card).map((f) => f.buttons[0])).toContain('Revert to testing');

        // Once a check sees the new id in DNS, the domain is active again and the notice goes.
        app.dns.txt.set(`_mta-sts.${ACTIVE}`, [`v=STSv1; id=${after.servedPolicyId}`]);
        expect((await admin.post(`${cardPath(ACTIVE)}/checks`)).location).toBe(cardPath(ACTIVE));
        expect((await app.domains.get(ACTIVE)).state).toBe('active');
        const seen = mainOf((await admin.get(cardPath(ACTIVE))).text);
        expect(seen).not.toContain('class="notice"');
        expect(textOf(elementsWithClass(seen, 'span', 'badge')[0])).toBe('✓ Active');
        expect(textOf(seen)).toContain(
          `Id ${after.servedPolicyId} (served since ${minuteOf(start)}; seen in DNS ${minuteOf(start)})`,
        );
      });

      it('reverts to testing at once, without a confirmation', async () => {
        await addActive(app);
        const testingId = (await app.domains.get(ACTIVE)).servedPolicyId;
        await app.app.get(PolicyService).setMode(ACTIVE, 'enforce');
        expect((await app.domains.get(ACTIVE)).servedPolicyId).not.toBe(testingId);
        await admin.get(cardPath(ACTIVE));

        const reverted = await admin.post(`${cardPath(ACTIVE)}/revert`);
        expect(reverted.status).toBe(303);
        expect(reverted.location).toBe(cardPath(ACTIVE));
        const view = await app.domains.get(ACTIVE);
        expect(view.mode).toBe('testing');
        // The same text as before the promotion, under an id never announced before: a
        // sender that cached the enforce text under the testing id refetches once it is
        // published (RFC 8461 §3.1).
        expect(view.servedPolicyId).not.toBe(testingId);
        expect(view.state).toBe('changing');
        const card = mainOf((await admin.get(cardPath(ACTIVE))).text);
        expect(textOf(card)).toContain('Mode: Testing');
        expect(flashOf(card)).toBe(
          `success: The policy is back in testing mode. The policy id is now ${view.servedPolicyId}: publish _mta-sts TXT "v=STSv1; id=${view.servedPolicyId}" so senders fetch the new policy.`,
        );
        expect(textOf(card)).toContain(
          `New policy id ${view.servedPolicyId} not yet visible in DNS: publish _mta-sts.${ACTIVE} TXT "v=STSv1; id=${view.servedPolicyId}" so senders fetch the new policy.`,
        );
        expect(preOf(card, 'policy')).toContain('mode: testing\r\n');
      });

      it('sets max_age from the card’s choices', async () => {
        await app.domains.add(IDLE);
        await admin.get(cardPath(IDLE));
        const set = await admin.post(`${cardPath(IDLE)}/max-age`, { maxAge: '86400' });
        expect(set.status).toBe(303);
        expect(set.location).toBe(cardPath(IDLE));
        expect((await app.domains.get(IDLE)).maxAge).toBe(86_400);
        const card = mainOf((await admin.get(cardPath(IDLE))).text);
        expect(flashOf(card)).toBe('success: max_age is now 86400 seconds.');
        expect(textOf(card)).toContain('max_age: 1 day');
        expect(card).toContain('<option value="86400" selected>1 day</option>');
        expect(card).toContain('<option value="604800">1 week</option>');
        expect(preOf(card, 'policy')).toContain('max_age: 86400\r\n');

        const refused = await admin.post(`${cardPath(IDLE)}/max-age`, { maxAge: '60' });
        expect(refused.location).toBe(cardPath(IDLE));
        expect(flashOf((await admin.get(cardPath(IDLE))).text)).toBe(
          'error: max_age must be a whole number of seconds from 86400 (1 day) to 31557600 (1 year).',
        );
        expect((await app.domains.get(IDLE)).maxAge).toBe(86_400);
      });

      it('rebuilds the mx lines of an active domain from new MX records', async () => {
        await addActive(app);
        app.dns.mx.set(ACTIVE, [
          { exchange: 'mx2.active.example', priority: 20 },
          { exchange: 'mx1.active.example', priority: 10 },
        ]);
        await admin.get(cardPath(ACTIVE));
        const refreshed = await admin.post(`${cardPath(ACTIVE)}/refresh-mx`);
        expect(refreshed.status).toBe(303);
        const view = await app.domains.get(ACTIVE);
        const card = mainOf((await admin.get(cardPath(ACTIVE))).text);
        expect(preOf(card, 'policy')).toBe(
          'version: STSv1\r\nmode: testing\r\nmx: mx1.active.example\r\nmx: mx2.active.example\r\nmax_age: 604800\r\n',
        );
        expect(flashOf(card)).toBe(
          `success: The mx lines now follow the live MX records (mx1.active.example, mx2.active.example). The policy id is now ${view.servedPolicyId}: publish _mta-sts TXT "v=STSv1; id=${view.servedPolicyId}" so senders fetch the new policy.`,
        );
      });

      it('says the mx lines of an inactive domain changed when they did', async () => {
        await app.domains.add(IDLE);
        app.dns.mx.set(IDLE, [{ exchange: 'mail.elsewhere.example', priority: 10 }]);
        await admin.get(cardPath(IDLE));
        await admin.post(`${cardPath(IDLE)}/refresh-mx`);
        const card = mainOf((await admin.get(cardPath(IDLE))).text);
        expect(preOf(card, 'policy')).toContain('mx: mail.elsewhere.example\r\n');
        expect(preOf(card, 'policy')).not.toContain(`mx: mx.${IDLE}`);
        // The lines were just rebuilt; "already match" would tell the admin nothing changed.
        expect(flashOf(card)).not.toContain('already match');
        expect(flashOf(card)).toBe('success: The mx lines now follow the live MX records (mail.elsewhere.example).');
      });

      it('says so when the mx lines already match', async () => {
        await app.domains.add(IDLE);
        await admin.get(cardPath(IDLE));
        await admin.post(`${cardPath(IDLE)}/refresh-mx`);
        expect(flashOf((await admin.get(cardPath(IDLE))).text)).toBe(
          `info: The mx lines already match the live MX records (mx.${IDLE}).`,
        );
      });

      it('deletes an inactive domain only after confirmation', async () => {
        await app.domains.add(IDLE);
        await app.domains.add(VERIFYING);
        await admin.get(cardPath(IDLE));

        const unconfirmed = await admin.post(`${cardPath(IDLE)}/remove`, { confirm: 'no' });
        expect(unconfirmed.location).toBe(`${cardPath(IDLE)}/confirm/remove`);
        expect(await app.domainRows.countBy({ name: IDLE })).toBe(1);
        const confirm = mainOf((await admin.get(unconfirmed.location!)).text);
        expect(textOf(confirm)).toContain(
          'Its settings and check history are removed. Certificates and keys stay on disk.',
        );
        const [form] = forms(confirm);
        expect(form.fields.confirm).toBe('yes');
        expect(form.buttons).toEqual(['Delete']);

        const removed = await admin.post(form.action, { confirm: 'yes' });
        expect(removed.status).toBe(303);
        expect(removed.location).toBe('/mta-sts');
        const list = mainOf((await admin.get('/mta-sts')).text);
        expect(flashOf(list)).toBe('success: idle.example was deleted from the panel.');
        expect(cardsOf(list).map((card) => textOf(card).split(' ')[0])).toEqual([VERIFYING]);
        expect(await app.domainRows.countBy({ name: IDLE })).toBe(0);
        expect((await admin.get(cardPath(IDLE))).status).toBe(404);
      });

      it('refuses to delete an active domain and says why', async () => {
        await addActive(app);
        await admin.get(cardPath(ACTIVE));
        const refused = await admin.post(`${cardPath(ACTIVE)}/remove`, { confirm: 'yes' });
        expect(refused.location).toBe(cardPath(ACTIVE));
        expect(flashOf((await admin.get(cardPath(ACTIVE))).text)).toBe(
          'error: active.example is active; disable it first, then delete it.',
        );
        expect((await app.domains.get(ACTIVE)).state).toBe('active');
      });

      it('retires an active domain after confirmation: mode none with a new id, a countdown, and Enable cancels it', async () => {
        await addActive(app);
        const servedId = (await app.domains.get(ACTIVE)).servedPolicyId;
        await admin.get(cardPath(ACTIVE));
        const unconfirmed = await admin.post(`${cardPath(ACTIVE)}/retire`);
        expect(unconfirmed.location).toBe(`${cardPath(ACTIVE)}/confirm/retire`);
        expect((await app.domains.get(ACTIVE)).state).toBe('active');
        const confirm = mainOf(expectHtml(await admin.get(unconfirmed.location!)));
        expect(textOf(/<h1>([\s\S]*?)<\/h1>/.exec(confirm)![1])).toBe('Retire MTA-STS for this domain?');
        const [form] = forms(confirm);
        expect(form).toMatchObject({ action: `${cardPath(ACTIVE)}/retire`, buttons: ['Retire'] });

        const retired = await admin.post(form.action, { confirm: 'yes' });
        expect(retired.location).toBe(cardPath(ACTIVE));
        const view = await app.domains.get(ACTIVE);
        expect([view.state, view.mode, view.maxAge]).toEqual(['retiring', 'none', 86_400]);
        expect(view.servedPolicyId).toMatch(/^\d{8}T\d{6}n\d+$/);
        expect(view.servedPolicyId).not.toBe(servedId);
        const policy = readFileSync(join(dataDir, 'policies', `${ACTIVE}.txt`), 'utf8');
        expect(policy).toMatch(/^version: STSv1\r\nmode: none\r\n/);
        expect(policy).toContain('max_age: 86400\r\n');
        // The host keeps serving mode none until the week-long testing policy and the TXT TTL have passed.
        const until = new Date(start.getTime() + (604_800 + 3_600) * 1000);
        expect(view.lifecycle.retireUntil).toBe(until.toISOString());
        expect(app.web.removed).toEqual([]);

        const card = mainOf((await admin.get(cardPath(ACTIVE))).text);
        expect(flashOf(card)).toContain(
          `success: Retiring. Publish _mta-sts.${ACTIVE} TXT "v=STSv1; id=${view.servedPolicyId}" now, so senders fetch mode none.`,
        );
        expect(textOf(elementsWithClass(card, 'span', 'badge')[0])).toBe('↘ Retiring');
        expect(textOf(card)).toContain(`Policy host removed in 7 days 1 h (${minuteOf(until)}).`);
        expect(forms(card).map((f) => [f.action, f.buttons[0]])).toContainEqual([
          `${cardPath(ACTIVE)}/enable`,
          'Cancel retirement',
        ]);
        expect(links(card).map((link) => link.text)).not.toContain('Disable (retire)');
        expect(links(card).map((link) => link.text)).toContain('Remove now');

        const cancelled = await admin.post(`${cardPath(ACTIVE)}/enable`);
        expect(cancelled.location).toBe(cardPath(ACTIVE));
        // The testing text comes back under a new id: senders that fetched mode none must
        // see the id change to fetch it again.
        const back = await app.domains.get(ACTIVE);
        expect([back.state, back.mode, back.maxAge]).toEqual(['changing', 'testing', 604_800]);
        expect(back.servedPolicyId).not.toBe(servedId);
        expect(back.servedPolicyId).not.toBe(view.servedPolicyId);
        expect(flashOf((await admin.get(cardPath(ACTIVE))).text)).toBe(
          `success: The retirement is cancelled; the policy is back in testing mode with max_age 604800 seconds. The policy id is now ${back.servedPolicyId}: publish _mta-sts TXT "v=STSv1; id=${back.servedPolicyId}" so senders fetch the new policy.`,
        );
        expect(readFileSync(join(dataDir, 'policies', `${ACTIVE}.txt`), 'utf8')).toContain('mode: testing\r\n');
      });

      it('removes an active domain at once after a confirmation that names the senders’ cache, and lists the records to delete', async () => {
        await addActive(app);
        const servedId = (await app.domains.get(ACTIVE)).servedPolicyId;
        await admin.get(cardPath(ACTIVE));
        expect((await admin.post(`${cardPath(ACTIVE)}/remove-now`)).location).toBe(
          `${cardPath(ACTIVE)}/confirm/remove-now`,
        );
        expect((await app.domains.get(ACTIVE)).state).toBe('active');
        const confirm = mainOf(expectHtml(await admin.get(`${cardPath(ACTIVE)}/confirm/remove-now`)));
        expect(textOf(/<h1>([\s\S]*?)<\/h1>/.exec(confirm)![1])).toBe('Remove the policy host now?');
        const cachedUntil = new Date(start.getTime() + 604_800_000);
        expect(textOf(elementsWithClass(confirm, 'p', 'problem')[0])).toBe(
          `Senders may keep a cached policy for this domain for up to 7 day(s), until ${minuteOf(cachedUntil)}.`,
        );

        const removed = await admin.post(`${cardPath(ACTIVE)}/remove-now`, { confirm: 'yes' });
        expect(removed.location).toBe(cardPath(ACTIVE));
        const card = mainOf((await admin.get(cardPath(ACTIVE))).text);
        expect(flashOf(card)).toContain(
          `success: The policy is no longer served. Now delete these DNS records: _mta-sts.${ACTIVE} TXT, ${hostOf(ACTIVE)} A.`,
        );
        expect(servedId).toMatch(/^\d{8}T\d{6}n\d+$/);
        expect((await app.domains.get(ACTIVE)).state).toBe('removed');
        expect(textOf(elementsWithClass(card, 'span', 'badge')[0])).toBe('○ Inactive');
        expect(app.web.removed).toEqual([hostOf(ACTIVE)]);
        expect(existsSync(join(dataDir, 'policies', `${ACTIVE}.txt`))).toBe(false);
        // Enable and Delete are offered again.
        expect(forms(card).map((f) => f.buttons[0])).toContain('Enable');
        expect(links(card).map((link) => link.text)).toContain('Delete');
        // The card says one thing: delete the records. No check result of the host that is
        // gone, no "publish this id", no record in red as if it were missing.
        const text = textOf(card);
        expect(text).toContain('The checks stopped when the policy host was removed.');
        expect(checksOf(card)).toEqual([]);
        expect(text).toContain('DNS records to delete');
        expect(recordRows(card).map((cells) => [cells[0], cells[3]])).toEqual([
          [`_mta-sts.${ACTIVE}`, 'Delete it'],
          [hostOf(ACTIVE), 'Delete it'],
          [`_smtp._tls.${ACTIVE}`, 'May stay'],
        ]);
        expect(text).not.toMatch(/publish _mta-sts|Not published|served since/);
        expect(card).not.toContain('visibility-not-published');
      });

      it('says each message once at the top of a card', async () => {
        app.dns.mx.set(IDLE, []);
        await app.domains.add(IDLE);
        await admin.get(cardPath(IDLE));
        await admin.post(`${cardPath(IDLE)}/enable`);
        const card = mainOf((await admin.get(cardPath(IDLE))).text);
        const problem = (await app.domains.get(IDLE)).mxProblem!;
        expect(problem).toMatch(/has no MX records/);
        // The flash of the refused Enable says it; the card does not say it again at the top
        // or in the policy section.
        expect(flashOf(card)).toContain(problem);
        expect(textOf(card).split(problem).length - 1).toBe(1);
        // Without the flash, the card says it once.
        const again = mainOf((await admin.get(cardPath(IDLE))).text);
        expect(textOf(again).split(problem).length - 1).toBe(1);
        expect(textOf(card)).toContain('No policy yet: the MX records cannot back one (see above).');
      });

      it('no longer knows the old Disable action or its confirmation', async () => {
        await addActive(app);
        await admin.get(cardPath(ACTIVE));
        expect((await admin.post(`${cardPath(ACTIVE)}/disable`, { confirm: 'yes' })).status).toBe(404);
        expect((await admin.get(`${cardPath(ACTIVE)}/confirm/disable`)).status).toBe(404);
        expect((await app.domains.get(ACTIVE)).state).toBe('active');
        expect(app.web.removed).toEqual([]);
      });

      it('answers an unknown domain’s card with an HTML page, not JSON', async () => {
        const missing = await admin.get(cardPath('unknown.example'));
        expect(missing.status).toBe(404);
        expect(String(missing.headers['content-type'])).toMatch(/^text\/html/);
        expect(missing.text).not.toMatch(/^\s*\{/);
        expect(textOf(mainOf(missing.text))).toContain('Domain unknown.example is not managed here.');
      });

      it('answers 404 for an unknown action or confirmation', async () => {
        await app.domains.add(IDLE);
        await admin.get(cardPath(IDLE));
        expect((await admin.post(`${cardPath(IDLE)}/explode`)).status).toBe(404);
        expect((await admin.get(`${cardPath(IDLE)}/confirm/explode`)).status).toBe(404);
        expect((await admin.get(`${cardPath('unknown.example')}`)).status).toBe(404);
        expect((await app.domains.get(IDLE)).state).toBe('inactive');
      });
    });
  });
});
