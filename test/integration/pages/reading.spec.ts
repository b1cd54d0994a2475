import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_IPV4, TestApp, createTestApp } from '../helpers/provisioning-app';
import { FakeClock } from '../helpers/renewal-app';
import { pagesSetup } from '../helpers/pages-app';
import {
  Browser,
  cardsOf,
  elementsWithClass,
  forms,
  links,
  mainOf,
  tags,
  textOf,
  unlabelledControls,
} from '../helpers/html';
import {
  ACTIVE,
  BROKEN,
  CA_DETAIL,
  CA_REFUSAL,
  cardFor,
  cardPath,
  checksOf,
  DAY,
  expectHtml,
  hostOf,
  IDLE,
  IDN,
  minuteOf,
  OLD_ID,
  PagesFixture,
  PENDING,
  preOf,
  recordRows,
  VERIFYING,
} from './fixtures';

describe('The server-rendered pages of the real MtaStsModule', () => {
  const fixture = new PagesFixture();
  const { infos, start } = fixture;
  const fakesFor = (dataDir: string) => fixture.fakesFor(dataDir);
  const seedEveryState = (app: TestApp) => fixture.seedEveryState(app);

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
          // The Reports section of a serving domain.
          'Daily counts as CSV',
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
});
