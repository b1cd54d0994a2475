import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { CHECK_TITLES } from '../../src/mta-sts/domain/checks';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';

/**
 * The server-rendered pages in a real browser (Debian's Chromium, headless, driven by
 * playwright-core) against a lab with real dnsmasq, Pebble and nginx: everything an admin
 * does to bring one domain from nothing to Active, enforce and back, then what a read-only
 * user may and may not do. Screenshots go to test-artifacts/ (README's docs/screenshots/card.png is one of them).
 */
describe('The panel in a browser', () => {
  const domain = 'browser.test';
  const repo = resolve(__dirname, '../..');
  const artifacts = join(repo, 'test-artifacts');
  /** How long any single page interaction may take before the step fails. */
  const STEP_MS = 15_000;
  /** How long Enable may take, through ACME with Pebble, before the step fails. */
  const PROVISION_MS = 60_000;

  let lab: Lab;
  let panel: Panel;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let cardUrl: string;
  /** The id of the testing policy before the promotion. */
  let testingId: string;

  /** Console errors, page errors, CSP violations and failed loads, with the page they happened on. */
  const problems: string[] = [];
  /** Every document the browser loaded, with its Content-Security-Policy header. */
  const documents: Array<{ url: string; csp: string | undefined }> = [];
  /** The first step that failed: the ones after it depend on it and are skipped. */
  let blockedBy: string | undefined;
  /**
   * The checks the card lists. The lab runs no SMTP server for the MX host, so the STARTTLS
   * probe is off (MTA_STS_SMTP_PROBE=false), or promotion would be refused;
   * lifecycle.e2e-spec.ts promotes against a real SMTP server.
   */
  const checkTitles = Object.entries(CHECK_TITLES)
    .filter(([id]) => id !== 'mx-tls')
    .map(([, title]) => title);

  function step(name: string, body: () => Promise<void>, timeout = 60_000): void {
    it(
      name,
      async (ctx) => {
        if (blockedBy) ctx.skip(`an earlier step failed: ${blockedBy}`);
        try {
          await body();
        } catch (error) {
          blockedBy = name;
          throw error;
        }
      },
      timeout,
    );
  }

  async function newContext(options: Parameters<Browser['newContext']>[0]): Promise<BrowserContext> {
    const created = await browser.newContext({ colorScheme: 'light', locale: 'en-GB', ...options });
    created.setDefaultTimeout(STEP_MS);
    created.setDefaultNavigationTimeout(STEP_MS);
    // Chromium reports CSP violations on the console too; this makes sure each one is seen.
    await created.addInitScript(
      `document.addEventListener('securitypolicyviolation', (event) => console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline')));`,
    );
    return created;
  }

  function watch(target: Page, label: string): Page {
    target.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${label} console error on ${target.url()}: ${message.text()}`);
    });
    target.on('pageerror', (error) => problems.push(`${label} page error on ${target.url()}: ${error.message}`));
    target.on('requestfailed', (request) =>
      problems.push(`${label} request failed: ${request.url()} (${request.failure()?.errorText})`),
    );
    target.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${label} got ${response.status()} for ${response.url()}`);
      if (response.request().resourceType() === 'document' && response.status() < 300) {
        documents.push({ url: response.url(), csp: response.headers()['content-security-policy'] });
      }
    });
    return target;
  }

  /** Evaluates a JavaScript expression in the page (the project's TypeScript has no DOM types). */
  function inPage<T>(target: Page, expression: string): Promise<T> {
    return target.evaluate<T>(expression);
  }

  const text = async (locator: Locator) => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  /** The card's badge in words (without the symbol shown before it). */
  const badge = async () => (await text(page.locator('h1 + .pills .badge'))).replace(/^[^A-Za-z]+/, '');
  const modePill = () => text(page.locator('h1 + .pills .pill[class*="mode-"]'));
  const flash = () => text(page.locator('main > .flash'));
  const policyId = () => text(page.locator('section[aria-labelledby="policy-h"] p code'));

  async function records(): Promise<Array<{ name: string; type: string; value: string; inDns: string }>> {
    const rows = page.locator('section[aria-labelledby="records-h"] tbody tr');
    const result = [];
    for (const row of await rows.all()) {
      const cells = row.locator('td');
      result.push({
        name: await text(cells.nth(0).locator('code')),
        type: await text(cells.nth(1)),
        value: await text(cells.nth(2).locator('code.value')),
        inDns: await text(cells.nth(3).locator('.visibility')),
      });
    }
    return result;
  }

  async function checks(): Promise<Record<string, string>> {
    const result: Record<string, string> = {};
    for (const item of await page.locator('ul.checks > li').all()) {
      const status = (await text(item.locator('.status'))).replace(/^[^A-Za-z]+/, '');
      result[await text(item.locator('strong').first())] = status;
    }
    return result;
  }

  async function screenshot(target: Page, file: string): Promise<string> {
    mkdirSync(artifacts, { recursive: true });
    const path = join(artifacts, file);
    await target.screenshot({ path, fullPage: true, animations: 'disabled', timeout: STEP_MS });
    return path;
  }

  const pngWidth = (path: string) => readFileSync(path).readUInt32BE(16);

  /** The forms that would change something (the filter form uses GET). */
  const postForms = () =>
    inPage<string[]>(
      page,
      `[...document.querySelectorAll('form')].filter((f) => f.method.toLowerCase() === 'post').map((f) => f.getAttribute('action'))`,
    );

  /**
   * Waits, bounded, until the card stops refreshing itself (its meta refresh is there only
   * while provisioning), riding along with the refreshes; returns how many pages it saw.
   */
  async function waitUntilSettled(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let loads = 0;
    const counter = () => loads++;
    page.on('load', counter);
    try {
      let last: unknown;
      while (Date.now() < deadline) {
        const state = await inPage<{ refreshing: boolean; badge: string } | null>(
          page,
          `document.readyState === 'complete' ? { refreshing: document.querySelector('meta[http-equiv="refresh"]') !== null, badge: document.querySelector('h1 + .pills .badge')?.textContent ?? '' } : null`,
        ).catch(() => null);
        if (state) {
          last = state;
          if (!state.refreshing) return loads;
        }
        await page.waitForTimeout(250);
      }
      throw new Error(`the card still refreshes after ${timeoutMs} ms: ${JSON.stringify(last)}`);
    } finally {
      page.off('load', counter);
    }
  }

  async function signIn(user: { name: string; password: string }): Promise<void> {
    await page.locator('#username').fill(user.name);
    await page.locator('#password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/mta-sts`);
  }

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    await lab.publishDomain(domain);
    panel = await Panel.start(lab.env({ MTA_STS_SMTP_PROBE: 'false' }));
    base = panel.url;
    cardUrl = `${base}/mta-sts/domains/${domain}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
      timeout: 30_000,
    });
    context = await newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
    page = watch(await context.newPage(), 'desktop');
  }, 90_000);

  afterAll(async () => {
    const stops: Array<[string, (() => Promise<void>) | undefined]> = [
      ['browser', browser ? () => browser.close() : undefined],
      ['panel', panel ? () => panel.close() : undefined],
      ['lab', lab ? () => lab.stop() : undefined],
    ];
    const failures: string[] = [];
    for (const [name, stop] of stops) {
      await stop?.().catch((error: unknown) => failures.push(`${name}: ${String(error)}`));
    }
    if (failures.length) throw new Error(`cleanup failed: ${failures.join('; ')}`);
  }, 30_000);

  step('sends a visitor from the panel URL to the sign-in form, and signs the admin in', async () => {
    const landing = await page.goto(`${base}/`);
    const hops: string[] = [];
    for (let request = landing?.request(); request; request = request.redirectedFrom() ?? undefined) {
      hops.unshift(request.url());
    }
    expect(hops).toEqual([`${base}/`, `${base}/mta-sts`, `${base}/login?next=%2Fmta-sts`]);
    expect(page.url()).toBe(`${base}/login?next=%2Fmta-sts`);
    expect(await page.title()).toBe('Sign in');
    await signIn(lab.users.admin);
    expect(await text(page.locator('h1'))).toBe('Domains');
    expect(await text(page.locator('header .who'))).toBe('Signed in as administrator');
    expect(await text(page.locator('p.count'))).toBe('0 domain(s).');
  });

  step('adds the domain with the form: the card opens with a message and the DNS records', async () => {
    await page.getByLabel('Add domain').fill(domain);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.waitForURL(cardUrl);

    expect(await text(page.locator('h1'))).toBe(domain);
    expect(await page.locator('main > .flash').getAttribute('class')).toContain('flash-success');
    expect(await flash()).toBe(`${domain} was added. Publish the DNS records below, then Enable.`);
    expect(await badge()).toBe('Inactive');
    expect(await modePill()).toBe('Mode: Testing');

    const id = await policyId();
    expect(id).toMatch(/^[A-Za-z0-9]{1,32}$/);
    expect(await text(page.locator('pre.policy'))).toContain('mode: testing mx: mx.browser.test max_age: 604800');
    const table = await records();
    expect(table.map(({ name, type, value }) => ({ name, type, value }))).toEqual([
      { name: `_mta-sts.${domain}`, type: 'TXT', value: `v=STSv1; id=${id}` },
      { name: `mta-sts.${domain}`, type: 'A', value: lab.address },
      { name: `_smtp._tls.${domain}`, type: 'TXT', value: `v=TLSRPTv1; rua=mailto:tls-reports@${domain}` },
    ]);
    // panel.js ran under the CSP: it un-hides the copy buttons.
    expect(await page.locator('td button.copy').first().isVisible()).toBe(true);

    // The admin publishes the TXT records exactly as the card shows them.
    await lab.dnsmasq.update({
      txt: {
        [table[0].name]: [table[0].value],
        [table[2].name]: [table[2].value],
      },
    });
  });

  step(
    'enables: the card shows progress, refreshes itself, and ends Active',
    async () => {
      const started = Date.now();
      await page.getByRole('button', { name: 'Enable', exact: true }).click();
      await page.locator('main > .flash', { hasText: 'Enabling' }).waitFor();
      const first = await inPage<{ flash: string; progress: string; refresh: string | null; enable: number }>(
        page,
        `({
          flash: document.querySelector('main > .flash')?.textContent.trim(),
          progress: document.querySelector('section.progress[role="status"]')?.textContent.replace(/\\s+/g, ' ').trim() ?? '',
          refresh: document.querySelector('meta[http-equiv="refresh"]')?.getAttribute('content') ?? null,
          enable: [...document.querySelectorAll('button')].filter((b) => b.textContent.trim() === 'Enable').length,
        })`,
      );
      expect(first.flash).toBe('Enabling: the steps run in the background and this card follows them.');
      // Every step, the one running among them, and what the page does meanwhile.
      expect(first.progress).toMatch(
        /^Enabling( \(running for .+\))? Looking up the MX records: done .+: running .*This page refreshes itself until Enable is done\.$/,
      );
      expect(first.refresh).toBe('3');
      expect(first.enable).toBe(0);

      const loads = await waitUntilSettled(PROVISION_MS);
      const problem = (await page.locator('.problem').allTextContents()).join(' ');
      expect([await badge(), problem]).toEqual(['Active', '']);
      console.info(`provisioning took ${Date.now() - started} ms, the card refreshed itself ${loads} time(s)`);
      expect(await page.locator('.progress').count()).toBe(0);
      expect(await text(page.locator('section[aria-labelledby="cert-h"] dd').first())).toMatch(/Pebble/);
      // The TXT record was published before Enable, so the first checks already saw the id.
      expect(await text(page.locator('section[aria-labelledby="policy-h"] p').first())).toMatch(
        // Times in the viewer's time zone (this browser's is UTC; en-GB writes "26 Nov 2026, 09:45").
        /\(served since \d{1,2} \w{3} \d{4}, \d\d:\d\d; seen in DNS \d{1,2} \w{3} \d{4}, \d\d:\d\d\)$/,
      );
    },
    PROVISION_MS + 30_000,
  );

  step('runs the checks on request: every check passes', async () => {
    await page.getByRole('button', { name: 'Run checks now' }).click();
    await page.locator('main > .flash', { hasText: 'Checks ran' }).waitFor();
    expect(await flash()).toBe('Checks ran: nothing is failing.');
    expect(await checks()).toEqual(Object.fromEntries(checkTitles.map((title) => [title, 'Pass'])));
    expect((await records()).map((record) => record.inDns)).toEqual(['Live', 'Live', 'Live']);
    expect(await badge()).toBe('Active');
  });

  step('takes the desktop screenshots of the active domain', async () => {
    // Without the one-time message, as the card looks any time later.
    await page.reload();
    expect(await badge()).toBe('Active');
    expect(Object.values(await checks())).toEqual(checkTitles.map(() => 'Pass'));
    const card = await screenshot(page, 'card.png');
    expect(pngWidth(card)).toBe(1100);

    await page.locator('a.brand').click();
    await page.waitForURL(`${base}/mta-sts`);
    const item = page.locator('ul.cards > li.card');
    expect(await item.count()).toBe(1);
    expect(await text(item.locator('h2'))).toBe(domain);
    expect(await item.getAttribute('class')).toContain('card-active');
    expect(await text(item.locator('.pills'))).toBe('✓ Active Mode: Testing');
    expect(await text(item.locator('.cert'))).toMatch(/^Certificate expires \d{4}-\d\d-\d\d \(\d+ days left\)$/);
    await screenshot(page, 'list.png');

    await item.getByRole('link', { name: domain }).click();
    await page.waitForURL(cardUrl);
  });

  step('shows times in the viewer’s time zone, with the exact time in a tooltip', async () => {
    const tokyo = await newContext({ storageState: await context.storageState(), timezoneId: 'Asia/Tokyo' });
    try {
      const card = watch(await tokyo.newPage(), 'tokyo');
      await card.goto(cardUrl);
      const times = await inPage<Array<{ text: string; iso: string; title: string }>>(
        card,
        `[...document.querySelectorAll('time[data-local]')].map((t) => ({ text: t.textContent, iso: t.dateTime, title: t.title }))`,
      );
      expect(times.length).toBeGreaterThan(2);
      for (const time of times) {
        expect(time.title).toBe(time.iso);
        expect(time.iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        // Tokyo is 9 hours ahead of UTC: the text shows the local hour, not the UTC one.
        const local = new Date(time.iso).toLocaleString('en-GB', {
          timeZone: 'Asia/Tokyo',
          hour: '2-digit',
          minute: '2-digit',
        });
        expect(time.text).toContain(local);
        expect(time.text).not.toContain('UTC');
      }
    } finally {
      await tokyo.close();
    }
  });

  step('renders the card on a phone without horizontal scrolling', async () => {
    const phone = await newContext({
      storageState: await context.storageState(),
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    try {
      const small = watch(await phone.newPage(), 'phone');
      await small.goto(cardUrl);
      expect(await text(small.locator('h1'))).toBe(domain);
      const size = await inPage<{ scrollWidth: number; innerWidth: number }>(
        small,
        `({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })`,
      );
      expect(size.innerWidth).toBe(390);
      expect(size.scrollWidth).toBeLessThanOrEqual(391);
      // The recent actions keep every column, as labelled lines, and a policy id stays on
      // one line where it fits.
      const log = small.locator('table.actions-log');
      const who = log.locator('td[data-label="Who"]').first();
      expect(await who.isVisible()).toBe(true);
      expect(
        await inPage<string>(
          small,
          `getComputedStyle(document.querySelector('table.actions-log td[data-label="Who"]'), '::before').content`,
        ),
      ).toBe('"Who: "');
      const idHeight = await inPage<number>(
        small,
        `Math.max(...[...document.querySelectorAll('table.actions-log td.ids code')].map((code) => code.getBoundingClientRect().height))`,
      );
      expect(idHeight).toBeLessThan(40);
      await screenshot(small, 'card-phone.png');
    } finally {
      await phone.close();
    }
  });

  step('promotes to enforce after a confirmation: a new policy id to publish', async () => {
    const before = await policyId();
    testingId = before;
    await page.getByRole('link', { name: 'Promote to enforce' }).click();
    await page.waitForURL(`${cardUrl}/confirm/promote`);
    expect(await text(page.locator('h1'))).toBe('Switch to enforce mode?');
    expect(await text(page.locator('p.explain'))).toMatch(/^In enforce mode, senders that honour MTA-STS refuse/);
    expect(await page.getByRole('link', { name: 'Cancel' }).getAttribute('href')).toBe(`/mta-sts/domains/${domain}`);
    await page.getByRole('button', { name: 'Switch to enforce' }).click();
    await page.waitForURL(cardUrl);

    expect(await modePill()).toBe('Mode: Enforce');
    const after = await policyId();
    expect(after).not.toBe(before);
    expect(await flash()).toBe(
      `The policy is now in enforce mode. The policy id is now ${after}: publish _mta-sts TXT "v=STSv1; id=${after}" so senders fetch the new policy.`,
    );
    expect(await text(page.locator('pre.policy'))).toContain('mode: enforce');
    expect(await page.getByRole('button', { name: 'Revert to testing' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Promote to enforce' }).count()).toBe(0);
    // DNS still announces the testing policy's id: the card asks for the new one.
    expect(await badge()).toBe('Verifying');
    expect(await page.locator('p.notice').allTextContents()).toEqual([
      `New policy id ${after} not yet visible in DNS: publish _mta-sts.${domain} TXT "v=STSv1; id=${after}" so senders fetch the new policy.`,
    ]);
  });

  step('reverts to testing', async () => {
    const before = await policyId();
    await page.getByRole('button', { name: 'Revert to testing' }).click();
    await page.locator('main > .flash', { hasText: 'testing mode' }).waitFor();
    expect(await modePill()).toBe('Mode: Testing');
    const after = await policyId();
    expect(after).not.toBe(before);
    // The testing text again, under an id never announced before (RFC 8461 §3.1).
    expect(after).not.toBe(testingId);
    expect(await flash()).toBe(
      `The policy is back in testing mode. The policy id is now ${after}: publish _mta-sts TXT "v=STSv1; id=${after}" so senders fetch the new policy.`,
    );
    expect(await text(page.locator('pre.policy'))).toContain('mode: testing');
    expect(await badge()).toBe('Verifying');
    expect(await page.locator('p.notice').allTextContents()).toEqual([
      `New policy id ${after} not yet visible in DNS: publish _mta-sts.${domain} TXT "v=STSv1; id=${after}" so senders fetch the new policy.`,
    ]);
    // Published as asked: active again at the next check.
    await lab.dnsmasq.update({ txt: { [`_mta-sts.${domain}`]: [`v=STSv1; id=${after}`] } });
    await page.getByRole('button', { name: 'Run checks now' }).click();
    await page.locator('main > .flash', { hasText: 'Checks ran' }).waitFor();
    expect(await badge()).toBe('Active');
    expect(await page.locator('p.notice').count()).toBe(0);
  });

  step('retires after a confirmation: mode none is served with a new id, with a countdown', async () => {
    const before = await policyId();
    await page.getByRole('link', { name: 'Disable (retire)', exact: true }).click();
    await page.waitForURL(`${cardUrl}/confirm/retire`);
    expect(await text(page.locator('h1'))).toBe('Retire MTA-STS for this domain?');
    await page.getByRole('button', { name: 'Retire', exact: true }).click();
    await page.waitForURL(cardUrl);

    expect(await badge()).toBe('Retiring');
    expect(await modePill()).toBe('Mode: None');
    const after = await policyId();
    expect(after).not.toBe(before);
    expect(await flash()).toMatch(
      new RegExp(`^Retiring\\. Publish _mta-sts\\.${domain.replace('.', '\\.')} TXT "v=STSv1; id=${after}" now`),
    );
    // The moment in the viewer's time zone, the exact time in its tooltip.
    expect(await text(page.locator('p.countdown'))).toMatch(
      /^Policy host removed in 7 days( 1 h)? \(\d{1,2} \w{3} \d{4}, \d\d:\d\d\)\.$/,
    );
    expect(await page.locator('p.countdown time').getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.getByRole('button', { name: 'Cancel retirement', exact: true }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Disable (retire)', exact: true }).count()).toBe(0);
    const served = await lab.fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt');
    expect(served.body).toContain('mode: none\r\n');
    expect(served.body).toContain('max_age: 86400\r\n');
  });

  step('removes the retiring domain now after a confirmation, and lists the records to delete', async () => {
    await page.getByRole('link', { name: 'Remove now', exact: true }).click();
    await page.waitForURL(`${cardUrl}/confirm/remove-now`);
    expect(await text(page.locator('h1'))).toBe('Remove the policy host now?');
    await page.getByRole('button', { name: 'Remove now', exact: true }).click();
    await page.waitForURL(cardUrl);

    expect(await badge()).toBe('Inactive');
    expect(await flash()).toMatch(
      new RegExp(
        `^The policy is no longer served\\. Now delete these DNS records: _mta-sts\\.${domain.replace('.', '\\.')} TXT, mta-sts\\.${domain.replace('.', '\\.')} A\\.`,
      ),
    );
    expect(await page.getByRole('button', { name: 'Enable', exact: true }).count()).toBe(1);
    await expect(lab.fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt')).rejects.toThrow();
  });

  step('signs out; the sign-in form is reached with Tab in order, and the viewer signs in by keyboard', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/login`);
    await page.goto(`${base}/mta-sts`);
    expect(page.url()).toBe(`${base}/login?next=%2Fmta-sts`);

    const focused = () =>
      inPage<{ id: string; tag: string; type: string | null; text: string }>(
        page,
        `(() => { const e = document.activeElement; return { id: e.id, tag: e.tagName.toLowerCase(), type: e.getAttribute('type'), text: e.textContent.trim() }; })()`,
      );
    const seen: Array<{ id: string; tag: string; type: string | null; text: string }> = [];
    for (let presses = 0; presses < 10 && seen.at(-1)?.id !== 'username'; presses++) {
      await page.keyboard.press('Tab');
      seen.push(await focused());
    }
    expect(seen.at(-1)?.id).toBe('username');
    expect(seen.filter((element) => element.id === 'password' || element.type === 'submit')).toEqual([]);
    await page.keyboard.type(lab.users.viewer.name);
    await page.keyboard.press('Tab');
    expect((await focused()).id).toBe('password');
    await page.keyboard.type(lab.users.viewer.password);
    await page.keyboard.press('Tab');
    expect(await focused()).toEqual({ id: '', tag: 'button', type: 'submit', text: 'Sign in' });
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/mta-sts`);
    expect(await text(page.locator('header .who'))).toBe('Signed in as read-only user');
  });

  step('shows the viewer the list and the card, with no way to change anything', async () => {
    const item = page.locator('ul.cards > li.card');
    expect(await item.count()).toBe(1);
    expect(await text(item.locator('.pills'))).toBe('○ Inactive Mode: Testing');
    expect(await page.locator('form.add').count()).toBe(0);
    expect(await postForms()).toEqual(['/logout']);

    await item.getByRole('link', { name: domain }).click();
    await page.waitForURL(cardUrl);
    expect(await text(page.locator('h1'))).toBe(domain);
    expect(await badge()).toBe('Inactive');
    expect((await records()).map((record) => record.name)).toEqual([
      `_mta-sts.${domain}`,
      `mta-sts.${domain}`,
      `_smtp._tls.${domain}`,
    ]);
    expect(await page.locator('section.actions').count()).toBe(0);
    for (const name of [
      'Enable',
      'Cancel retirement',
      'Disable (retire)',
      'Remove now',
      'Promote to enforce',
      'Revert to testing',
      'Run checks now',
      'Delete',
    ]) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      expect(await page.getByRole('link', { name, exact: true }).count(), name).toBe(0);
    }
    expect(await postForms()).toEqual(['/logout']);

    // A confirmation page opened by address offers nothing to confirm either.
    await page.goto(`${cardUrl}/confirm/retire`);
    expect(await text(page.locator('h1'))).toBe('Retire MTA-STS for this domain?');
    expect(await postForms()).toEqual(['/logout']);

    // Posting anyway, with a valid CSRF token, is refused.
    const csrf = page.locator('form[action="/logout"] input[type="hidden"]');
    const field = (await csrf.getAttribute('name'))!;
    const token = (await csrf.getAttribute('value'))!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const attempts: Array<[string, Record<string, string>]> = [
      [`${cardUrl}/enable`, {}],
      [`${cardUrl}/retire`, { confirm: 'yes' }],
      [`${cardUrl}/remove-now`, { confirm: 'yes' }],
      [`${cardUrl}/promote`, { confirm: 'yes' }],
      [`${base}/mta-sts/domains`, { domain: 'viewer.test' }],
    ];
    for (const [url, form] of attempts) {
      const answer = await page.request.post(url, { form: { [field]: token, ...form }, maxRedirects: 0 });
      expect([url, answer.status()]).toEqual([url, 403]);
      expect(await answer.text()).toContain('Your account can look at domains but not change them.');
    }

    await page.goto(cardUrl);
    expect(await badge()).toBe('Inactive');
    expect(await modePill()).toBe('Mode: Testing');
    await page.goto(`${base}/mta-sts`);
    expect(await text(page.locator('p.count'))).toBe('1 domain(s).');
  });

  it('saw no console errors, page errors or CSP violations on any page, each served with a CSP', () => {
    expect(problems).toEqual([]);
    expect(documents.length).toBeGreaterThan(10);
    for (const document of documents) {
      expect([document.url, document.csp]).toEqual([document.url, expect.stringContaining("script-src 'self'")]);
    }
  });
});
