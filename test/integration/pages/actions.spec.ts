import 'reflect-metadata';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyService } from '../../../src/mta-sts/services/policy.service';
import { TestApp, createTestApp } from '../helpers/provisioning-app';
import { FakeClock } from '../helpers/renewal-app';
import { pagesSetup } from '../helpers/pages-app';
import { Browser, cardsOf, elementsWithClass, forms, links, mainOf, textOf } from '../helpers/html';
import {
  ACTIVE,
  BROKEN,
  cardPath,
  checksOf,
  expectHtml,
  flashOf,
  hostOf,
  IDLE,
  IDN,
  minuteOf,
  PagesFixture,
  preOf,
  recordRows,
  VERIFYING,
} from './fixtures';

describe('The server-rendered pages of the real MtaStsModule', () => {
  const fixture = new PagesFixture();
  const { start } = fixture;
  const fakesFor = (dataDir: string) => fixture.fakesFor(dataDir);
  const addActive = (app: TestApp) => fixture.addActive(app);

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
