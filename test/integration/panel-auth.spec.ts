import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../src/app.module';
import { hashPassword } from '../../src/panel/auth/passwords';
import { InvalidSettingError, loadPanelConfig } from '../../src/panel/env';
import { panelDatabaseEnv } from '../support/test-database';
import { configurePanel } from '../../src/panel/setup';
import { Browser, forms, mainOf, tags, textOf, unlabelledControls } from './helpers/html';

const SECRET = 'a-session-secret-of-more-than-32-characters';
const ALICE_PASSWORD = 'correct horse battery staple';
const VICTOR_PASSWORD = 'viewer password 123';

describe('The standalone panel’s sign-in (AppModule from the environment)', () => {
  let aliceHash: string;
  let victorHash: string;
  let dataDir: string;
  let apps: INestApplication[];

  beforeAll(async () => {
    [aliceHash, victorHash] = await Promise.all([hashPassword(ALICE_PASSWORD), hashPassword(VICTOR_PASSWORD)]);
  });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-panel-auth-'));
    apps = [];
  });

  afterEach(async () => {
    for (const app of apps) await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    MTA_STS_DATA_DIR: dataDir,
    MTA_STS_SERVER_IPV4: '192.0.2.10',
    MTA_STS_USERS: `alice:admin:${aliceHash},victor:viewer:${victorHash}`,
    MTA_STS_SESSION_SECRET: SECRET,
    ...extra,
  });

  /** The panel as `main.ts` builds it: config from the environment, AppModule, configurePanel. */
  async function startPanel(variables: Record<string, string> = env()): Promise<INestApplication> {
    const config = loadPanelConfig({ ...(await panelDatabaseEnv(variables.MTA_STS_DATA_DIR)), ...variables });
    const app = await NestFactory.create(AppModule.forConfig(config), {
      logger: false,
      abortOnError: false,
    });
    configurePanel(app, config.trustProxy);
    await app.init();
    apps.push(app);
    return app;
  }

  async function signIn(browser: Browser, user: string, password: string, next = '/mta-sts') {
    await browser.get(`/login?next=${encodeURIComponent(next)}`);
    return browser.post('/login', { username: user, password, next });
  }

  it('sends a visitor without a session to the sign-in form, remembering where they were going', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer());

    const list = await browser.get('/mta-sts');
    expect(list.status).toBe(303);
    expect(list.location).toBe('/login?next=%2Fmta-sts');

    const card = await browser.get('/mta-sts/domains/example.com?x=1');
    expect(card.status).toBe(303);
    expect(card.location).toBe('/login?next=%2Fmta-sts%2Fdomains%2Fexample.com%3Fx%3D1');

    const home = await browser.get('/');
    expect(home.status).toBe(302);
    expect(home.location).toBe('/mta-sts');
  });

  it('renders a labelled sign-in form with the CSRF field', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer());

    const page = await browser.get('/login?next=%2Fmta-sts%3Fq%3Dexample');
    expect(page.status).toBe(200);
    expect(String(page.headers['content-type'])).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    const [form] = forms(page.text);
    expect(form.method).toBe('post');
    expect(form.action).toBe('/login');
    expect(form.fields).toEqual({ _csrf: browser.csrfToken, next: '/mta-sts?q=example', username: '', password: '' });
    // The field is signed for this browser's cookie, not a copy of it.
    expect(browser.csrfCookie).toMatch(/^[0-9a-f]{64}$/);
    expect(browser.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(unlabelledControls(page.text)).toEqual([]);
    const labels = [...page.text.matchAll(/<label for="([^"]+)">([\s\S]*?)<\/label>/g)];
    expect(labels.map((label) => [label[1], textOf(label[2])])).toEqual([
      ['username', 'User name'],
      ['password', 'Password'],
    ]);
    expect(tags(page.text, 'input').find((input) => input.id === 'password')?.type).toBe('password');
    expect(page.text).not.toMatch(/\sstyle\s*=|<script>/);
    expect(page.text).not.toContain('No users are configured');
  });

  it('refuses a wrong password or an unknown user with 401 and no session', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer());

    for (const [user, password] of [
      ['alice', 'wrong password'],
      ['mallory', ALICE_PASSWORD],
      ['alice', ''],
    ]) {
      const refused = await signIn(browser, user, password);
      expect(refused.status).toBe(401);
      expect(textOf(mainOf(refused.text))).toContain('Wrong user name or password.');
      expect(refused.cookies.map((cookie) => cookie.name)).not.toContain('mta_sts_session');
      // The name stays in the form; the password does not.
      const inputs = tags(refused.text, 'input');
      expect(inputs.find((input) => input.id === 'username')?.value).toBe(user);
      expect(inputs.find((input) => input.id === 'password')?.value).toBeUndefined();
    }
    expect(browser.cookies.has('mta_sts_session')).toBe(false);
    expect((await browser.get('/mta-sts')).status).toBe(303);
  });

  it('refuses a sign-in without the CSRF token', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer());
    await browser.get('/login');
    const refused = await browser.post(
      '/login',
      { username: 'alice', password: ALICE_PASSWORD, next: '/mta-sts' },
      { csrf: false },
    );
    expect(refused.status).toBe(403);
    expect(textOf(mainOf(refused.text))).toContain('The form had expired. Please sign in again.');
    expect(browser.cookies.has('mta_sts_session')).toBe(false);
  });

  it('signs an admin in with an HttpOnly, SameSite=Lax session cookie and shows the list', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer());

    const signedIn = await signIn(browser, 'alice', ALICE_PASSWORD, '/mta-sts?q=example');
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/mta-sts?q=example');
    const session = signedIn.cookies.find((cookie) => cookie.name === 'mta_sts_session')!;
    expect(session.value).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(session.attributes.httponly).toBe(true);
    expect(session.attributes.samesite).toBe('Lax');
    expect(session.attributes.path).toBe('/');
    expect(session.attributes['max-age']).toBe(String(12 * 3600));
    expect(session.attributes.secure).toBeUndefined();

    const list = await browser.get('/mta-sts');
    expect(list.status).toBe(200);
    expect(textOf(/<title>([\s\S]*?)<\/title>/.exec(list.text)![1])).toBe('MTA-STS domains');
    expect(textOf(mainOf(list.text))).toContain('0 domain(s).');
    expect(textOf(mainOf(list.text))).toContain('No domains yet.');
    expect(list.text).toContain('Signed in as administrator');
    const posting = forms(list.text).filter((form) => form.method === 'post');
    // Bound to the session now: another token than the sign-in form's.
    expect(posting.map((form) => [form.action, form.fields._csrf])).toEqual([
      ['/logout', browser.csrfToken],
      ['/mta-sts/domains', browser.csrfToken],
    ]);
    expect(browser.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('believes X-Forwarded-Proto only from the proxies MTA_STS_TRUST_PROXY names', async () => {
    // The test's requests come from loopback; with no proxy trusted, the header is anyone's word.
    const app = await startPanel(env({ MTA_STS_TRUST_PROXY: 'false' }));
    const browser = new Browser(app.getHttpServer(), null, { 'X-Forwarded-Proto': 'https' });
    const signedIn = await signIn(browser, 'alice', ALICE_PASSWORD);
    expect(signedIn.status).toBe(303);
    expect(signedIn.cookies.find((cookie) => cookie.name === 'mta_sts_session')?.attributes.secure).toBeUndefined();
  });

  it('marks the session cookie Secure behind a local HTTPS reverse proxy', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer(), null, { 'X-Forwarded-Proto': 'https' });
    const signedIn = await signIn(browser, 'alice', ALICE_PASSWORD);
    expect(signedIn.status).toBe(303);
    expect(signedIn.cookies.find((cookie) => cookie.name === 'mta_sts_session')?.attributes.secure).toBe(true);
    expect(signedIn.cookies.find((cookie) => cookie.name === 'mta_sts_csrf')).toBeUndefined();
  });

  it('lets a viewer look but answers 403 to a POST', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer());
    expect((await signIn(browser, 'victor', VICTOR_PASSWORD)).status).toBe(303);

    const list = await browser.get('/mta-sts');
    expect(list.status).toBe(200);
    expect(list.text).toContain('Signed in as read-only user');
    expect(forms(mainOf(list.text)).map((form) => form.method)).toEqual(['get']);

    const refused = await browser.post('/mta-sts/domains', { domain: 'example.com' });
    expect(refused.status).toBe(403);
    expect(String(refused.headers['content-type'])).toMatch(/^text\/html/);
    expect(textOf(mainOf(refused.text))).toBe('Not allowed Your account can look at domains but not change them.');
    expect(textOf(mainOf((await browser.get('/mta-sts')).text))).toContain('0 domain(s).');
  });

  it('ignores a next that leads to another site', async () => {
    const app = await startPanel();
    for (const next of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'mta-sts', '/ x']) {
      const browser = new Browser(app.getHttpServer());
      const form = await browser.get(`/login?next=${encodeURIComponent(next)}`);
      expect(forms(form.text)[0].fields.next).toBe('/mta-sts');
      const signedIn = await browser.post('/login', { username: 'alice', password: ALICE_PASSWORD, next });
      expect({ next, status: signedIn.status, location: signedIn.location }).toEqual({
        next,
        status: 303,
        location: '/mta-sts',
      });
    }
  });

  it('signs out with POST /logout, which clears the cookie', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer());
    await signIn(browser, 'alice', ALICE_PASSWORD);
    expect((await browser.get('/mta-sts')).status).toBe(200);

    const out = await browser.post('/logout');
    expect(out.status).toBe(303);
    expect(out.location).toBe('/login');
    const cleared = out.cookies.find((cookie) => cookie.name === 'mta_sts_session')!;
    expect(cleared.value).toBe('');
    expect(Date.parse(String(cleared.attributes.expires))).toBeLessThan(Date.now());
    expect(browser.cookies.has('mta_sts_session')).toBe(false);
    expect((await browser.get('/mta-sts')).status).toBe(303);
  });

  it('refuses a tampered, foreign or malformed session cookie', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer());
    await signIn(browser, 'victor', VICTOR_PASSWORD);
    const genuine = browser.cookies.get('mta_sts_session')!;
    const [payload, signature] = genuine.split('.');
    const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(session).toMatchObject({ user: 'victor', role: 'viewer' });

    const promoted = Buffer.from(JSON.stringify({ ...session, role: 'admin' })).toString('base64url');
    const forever = Buffer.from(JSON.stringify({ ...session, expires: Date.now() + 1e12 })).toString('base64url');
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    for (const forged of [
      `${promoted}.${signature}`,
      `${forever}.${signature}`,
      `${payload}.${flipped}`,
      payload,
      '',
    ]) {
      const visitor = new Browser(app.getHttpServer());
      if (forged) visitor.cookies.set('mta_sts_session', forged);
      const answer = await visitor.get('/mta-sts');
      expect({ forged, status: answer.status, location: answer.location }).toEqual({
        forged,
        status: 303,
        location: '/login?next=%2Fmta-sts',
      });
    }

    // Signed with another secret: refused too.
    const other = await startPanel(env({ MTA_STS_SESSION_SECRET: 'another-secret-that-is-long-enough-too' }));
    const stranger = new Browser(other.getHttpServer());
    stranger.cookies.set('mta_sts_session', genuine);
    expect((await stranger.get('/mta-sts')).status).toBe(303);

    // The genuine cookie still works where it was issued.
    expect((await browser.get('/mta-sts')).status).toBe(200);
  });

  it('ends the session on the server at sign-out: a copy of the old cookie no longer works, also after a restart', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer());
    await signIn(browser, 'alice', ALICE_PASSWORD);
    const copy = browser.cookies.get('mta_sts_session')!;
    const other = new Browser(app.getHttpServer());
    await signIn(other, 'alice', ALICE_PASSWORD);
    expect((await browser.post('/logout')).status).toBe(303);

    const thief = new Browser(app.getHttpServer());
    thief.cookies.set('mta_sts_session', copy);
    expect((await thief.get('/mta-sts')).status).toBe(303);
    // Only that session ended: the same user elsewhere stays signed in, across a restart too.
    expect((await other.get('/mta-sts')).status).toBe(200);
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    const restarted = await startPanel();
    const again = new Browser(restarted.getHttpServer());
    again.cookies.set('mta_sts_session', copy);
    expect((await again.get('/mta-sts')).status).toBe(303);
    const still = new Browser(restarted.getHttpServer());
    still.cookies.set('mta_sts_session', other.cookies.get('mta_sts_session')!);
    expect((await still.get('/mta-sts')).status).toBe(200);
  });

  it('refuses a CSRF cookie and field planted by someone who can set cookies on the panel’s host', async () => {
    const app = await startPanel();
    // The attacker's own visit gives a cookie and a token that belong together.
    const attacker = new Browser(app.getHttpServer());
    await attacker.get('/login');
    const planted = { cookie: attacker.csrfCookie!, token: attacker.csrfToken! };

    const victim = new Browser(app.getHttpServer());
    await signIn(victim, 'alice', ALICE_PASSWORD);
    expect((await victim.get('/mta-sts')).status).toBe(200);
    const rows = async () => (await victim.get('/mta-sts')).text.match(/class="card"/g)?.length ?? 0;
    const before = await rows();
    for (const [cookie, field] of [
      [planted.cookie, planted.token],
      // The double-submit pair of earlier versions: the same value in cookie and field.
      ['c'.repeat(64), 'c'.repeat(64)],
      ['c'.repeat(64), 'not a token'],
    ]) {
      victim.cookies.set('mta_sts_csrf', cookie);
      const refused = await victim.post('/mta-sts/domains', { domain: 'planted.example' }, { csrf: field });
      expect({ cookie, status: refused.status }).toEqual({ cookie, status: 403 });
    }
    expect(await rows()).toBe(before);
    // Sign-in takes no such pair either.
    const stranger = new Browser(app.getHttpServer());
    stranger.cookies.set('mta_sts_csrf', 'd'.repeat(64));
    const signInRefused = await stranger.post(
      '/login',
      { username: 'alice', password: ALICE_PASSWORD, next: '/mta-sts' },
      { csrf: 'd'.repeat(64) },
    );
    expect(signInRefused.status).toBe(403);
    expect(stranger.cookies.has('mta_sts_session')).toBe(false);
  });

  it('slows down guessing: after 5 failures an account waits, even for the right password, and says so', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer());
    const answers: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      const refused = await signIn(browser, 'alice', `wrong ${attempt}`);
      answers.push(refused.status);
      if (attempt === 6) {
        expect(textOf(mainOf(refused.text))).toContain(
          'Wrong user name or password. After 5 failed attempts, sign-in waits: try again in 2 s.',
        );
      }
    }
    expect(answers).toEqual([401, 401, 401, 401, 401, 401]);
    const locked = await signIn(browser, 'alice', ALICE_PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.headers['retry-after']).toMatch(/^[12]$/);
    expect(textOf(mainOf(locked.text))).toMatch(/Too many failed sign-ins for this account\. Try again in [12] s\./);
    expect(browser.cookies.has('mta_sts_session')).toBe(false);
    // Another account from another address is not held up.
    const victor = new Browser(app.getHttpServer(), null, { 'X-Forwarded-For': '192.0.2.77' });
    expect((await signIn(victor, 'victor', VICTOR_PASSWORD)).status).toBe(303);
  });

  it('slows down guessing across accounts from one address', async () => {
    const app = await startPanel();
    const browser = new Browser(app.getHttpServer());
    for (let attempt = 1; attempt <= 6; attempt++) {
      expect((await signIn(browser, `user${attempt}`, 'guess')).status).toBe(401);
    }
    const locked = await signIn(browser, 'victor', VICTOR_PASSWORD);
    expect(locked.status).toBe(429);
    expect(textOf(mainOf(locked.text))).toMatch(/Too many failed sign-ins from your address\. Try again in/);
  });

  it('warns on the sign-in page when no users are configured', async () => {
    const app = await startPanel(env({ MTA_STS_USERS: '' }));
    const page = await new Browser(app.getHttpServer()).get('/login');
    expect(textOf(mainOf(page.text))).toContain('No users are configured. Add them to MTA_STS_USERS');
  });

  /** Signs alice in on a panel with the usual users, stops it, and returns her session cookie. */
  async function aliceCookieFromEarlierStart(): Promise<string> {
    const first = await startPanel();
    const browser = new Browser(first.getHttpServer());
    await signIn(browser, 'alice', ALICE_PASSWORD);
    await first.close();
    apps = [];
    return browser.cookies.get('mta_sts_session')!;
  }

  const who = (html: string) => /<span class="who">([^<]*)<\/span>/.exec(html)?.[1] ?? null;

  it('applies a role change in MTA_STS_USERS to an existing session', async () => {
    const cookie = await aliceCookieFromEarlierStart();
    // Restarted with the same secret; alice is now a viewer.
    const demoted = await startPanel(env({ MTA_STS_USERS: `alice:viewer:${aliceHash}` }));
    const browser = new Browser(demoted.getHttpServer());
    browser.cookies.set('mta_sts_session', cookie);
    const list = await browser.get('/mta-sts');
    expect(list.status).toBe(200);
    expect(who(list.text)).toBe('Signed in as read-only user');
    expect(forms(mainOf(list.text)).map((form) => form.method)).toEqual(['get']);
  });

  it('ends the session of a user removed from MTA_STS_USERS', async () => {
    const cookie = await aliceCookieFromEarlierStart();
    // Restarted with the same secret; alice is no longer listed.
    const removed = await startPanel(env({ MTA_STS_USERS: `victor:viewer:${victorHash}` }));
    const browser = new Browser(removed.getHttpServer());
    browser.cookies.set('mta_sts_session', cookie);
    const list = await browser.get('/mta-sts');
    expect({ status: list.status, location: list.location, who: who(list.text) }).toEqual({
      status: 303,
      location: '/login?next=%2Fmta-sts',
      who: null,
    });
  });

  describe('settings', () => {
    const users = (value: string) => () => loadPanelConfig(env({ MTA_STS_USERS: value }));

    function settingError(load: () => unknown): InvalidSettingError {
      try {
        load();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidSettingError);
        return error as InvalidSettingError;
      }
      throw new Error('loadPanelConfig accepted the settings');
    }

    it('reads the users with their roles', () => {
      const config = loadPanelConfig(env());
      expect(config.users.map(({ name, role }) => [name, role])).toEqual([
        ['alice', 'admin'],
        ['victor', 'viewer'],
      ]);
      expect(config.sessionSecret).toBe(SECRET);
    });

    it('refuses malformed MTA_STS_USERS entries, naming the variable', () => {
      const cases: [string, RegExp][] = [
        [`alice:root:${aliceHash}`, /role "root" of alice must be admin or viewer/],
        ['alice:admin:hunter2hunter2', /the password of alice must be a hash from "npm run hash-password"/],
        [`alice:admin:${aliceHash},alice:viewer:${victorHash}`, /alice is listed twice/],
        ['alice:admin', /is not name:role:hash/],
        [`al ice:admin:${aliceHash}`, /may hold letters, digits and \. _ @ - only/],
      ];
      for (const [value, message] of cases) {
        const error = settingError(users(value));
        expect(error.variable).toBe('MTA_STS_USERS');
        expect(error.message).toMatch(/^MTA_STS_USERS: /);
        expect(error.message).toMatch(message);
        // A password hash or a password never ends up in the message.
        expect(error.message).not.toContain('hunter2hunter2');
      }
    });

    it('refuses a session secret shorter than 32 characters', () => {
      const error = settingError(() => loadPanelConfig(env({ MTA_STS_SESSION_SECRET: 'x'.repeat(31) })));
      expect(error.variable).toBe('MTA_STS_SESSION_SECRET');
      expect(error.message).toBe('MTA_STS_SESSION_SECRET: must be at least 32 characters long');
      expect(loadPanelConfig(env({ MTA_STS_SESSION_SECRET: 'x'.repeat(32) })).sessionSecret).toBe('x'.repeat(32));
      // Unset: a random secret per start.
      const withoutSecret = env();
      delete withoutSecret.MTA_STS_SESSION_SECRET;
      const random = loadPanelConfig(withoutSecret).sessionSecret;
      expect(random).toMatch(/^[0-9a-f]{64}$/);
      expect(loadPanelConfig(withoutSecret).sessionSecret).not.toBe(random);
    });

    it('names the variable of an invalid module option', () => {
      const error = settingError(() => loadPanelConfig(env({ MTA_STS_SERVER_IPV4: '999.1.1.1' })));
      expect(error.variable).toBe('MTA_STS_SERVER_IPV4');
    });
  });
});
