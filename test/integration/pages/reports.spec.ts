import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { FetchActivity } from '../../../src/mta-sts/services/fetch-activity';
import { ReportIntake } from '../../../src/mta-sts/services/report-intake';
import { ReportsView } from '../../../src/mta-sts/services/reports-view';
import { TestApp, createTestApp } from '../helpers/provisioning-app';
import { FakeClock } from '../helpers/renewal-app';
import { pagesSetup } from '../helpers/pages-app';
import { Browser, elementsWithClass, forms, mainOf, tags, textOf } from '../helpers/html';
import { ACTIVE, cardPath, expectHtml, flashOf, PagesFixture } from './fixtures';

const TOKEN = 'reports-api-token-0123456789';
const DAY_MS = 86_400_000;

/** The Reports section, the CSV, the overview and Promote's evidence, with the real module and SQLite. */
describe('Reports on the pages and in the API', () => {
  const fixture = new PagesFixture();
  let dataDir: string;
  let app: TestApp;
  let admin: Browser;
  let clock: FakeClock;

  const day = (daysAgo: number) => new Date(fixture.start.getTime() - daysAgo * DAY_MS).toISOString().slice(0, 10);

  function report(id: string, daysAgo: number, successful: number, failures: { result: string; sessions: number }[]) {
    return gzipSync(
      JSON.stringify({
        'organization-name': 'Google Inc.',
        'date-range': { 'start-datetime': `${day(daysAgo)}T00:00:00Z`, 'end-datetime': `${day(daysAgo)}T23:59:59Z` },
        'report-id': id,
        policies: [
          {
            policy: { 'policy-type': 'sts', 'policy-domain': ACTIVE, 'mx-host': [`mx.${ACTIVE}`] },
            summary: {
              'total-successful-session-count': successful,
              'total-failure-session-count': failures.reduce((sum, failure) => sum + failure.sessions, 0),
            },
            'failure-details': failures.map((failure) => ({
              'result-type': failure.result,
              'sending-mta-ip': '209.85.220.41',
              'receiving-mx-hostname': `mx.${ACTIVE}`,
              'failed-session-count': failure.sessions,
              'additional-information': 'https://support.google.com/a/answer/9261504',
            })),
          },
        ],
      }),
    );
  }

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-pages-reports-'));
    mkdirSync(join(dataDir, 'logs'));
    clock = new FakeClock(fixture.start);
    const fakes = fixture.fakesFor(dataDir);
    fakes.dns.ptr.set('209.85.220.41', ['mail-sor-f41.google.com']);
    fakes.dns.addresses.set('mail-sor-f41.google.com', { 4: ['209.85.220.41'], 6: [] });
    app = await createTestApp(dataDir, fakes, pagesSetup(clock, { apiToken: TOKEN }));
    admin = new Browser(app.app.getHttpServer(), 'admin');
    await fixture.addActive(app);
    const intake = app.app.get(ReportIntake);
    for (let daysAgo = 1; daysAgo <= 10; daysAgo++) {
      const failures = daysAgo === 2 ? [{ result: 'certificate-expired', sessions: 4 }] : [];
      expect(
        (await intake.receive(report(`g-${daysAgo}`, daysAgo, 100, failures), 'application/tlsrpt+gzip', 'https'))
          .outcome,
      ).toBe('stored');
    }
    const seconds = (daysAgo: number) => Math.floor((fixture.start.getTime() - daysAgo * DAY_MS) / 1000);
    writeFileSync(
      join(dataDir, 'logs', 'policy-fetches.log'),
      [1, 1, 3].map((daysAgo) => `${seconds(daysAgo)}.000 mta-sts.${ACTIVE} 209.85.220.41 200\n`).join(''),
    );
    await app.app.get(FetchActivity).ingest();
  });

  afterEach(async () => {
    await app.app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the 7/30/90-day totals, the failures by type and MX host with what to do, examples, and the 7-day fetch chart', async () => {
    const card = mainOf(expectHtml(await admin.get(cardPath(ACTIVE))));
    const section = /<section aria-labelledby="reports-h">([\s\S]*?)<\/section>/.exec(card)![1];
    const text = textOf(section);
    expect(text).toContain('days with reports: 10 of the last 90');
    expect(text).toContain('Last 7 days 600 4 0.7 %');
    expect(text).toContain('Last 30 days 1,000 4 0.4 %');
    expect(text).toContain(`certificate-expired : 4 failed sessions, last on ${day(2)}. MX hosts: mx.${ACTIVE} (4)`);
    expect(text).toContain("Renew the mail server's certificate");
    expect(text).toContain('https://support.google.com/a/answer/9261504');
    // The chart: an image with a title and a text alternative, one bar per day.
    const [svg] = tags(section, 'svg');
    expect(svg).toMatchObject({ role: 'img', 'aria-labelledby': 'fetch-chart-title fetch-chart-desc' });
    expect(tags(section, 'rect')).toHaveLength(7);
    expect(textOf(/<desc[^>]*>([\s\S]*?)<\/desc>/.exec(section)![1])).toMatch(
      /^\w{3} \d+: 0, .*: 1, .*: 2, \w{3} \d+: 0$/,
    );
    expect(text).toContain('Policy fetches, last 7 days: 3');
    expect(text).toContain('Google 209.85.220.41 3');
    // No inline script or style: the page CSP stays strict.
    expect(section).not.toMatch(/<script|style=/);
  });

  it('exports the daily counts as CSV, in the pages and in the API, and gives the same data as JSON', async () => {
    const csv = await admin.get(`${cardPath(ACTIVE)}/reports.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="tls-reports-${ACTIVE}.csv"`);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('day,reporter,policy_type,result,mx_host,sessions');
    expect(lines).toContain(`${day(2)},Google Inc.,sts,certificate-expired,mx.${ACTIVE},4`);
    expect(lines).toHaveLength(1 + 10 + 1);

    const api = await request(app.app.getHttpServer())
      .get(`/api/domains/${ACTIVE}/reports`)
      .set('Authorization', `Bearer ${TOKEN}`);
    expect(api.status).toBe(200);
    expect(api.body.summary.windows[0]).toEqual({ days: 7, successful: 600, failed: 4, failureRate: 4 / 604 });
    expect(api.body.summary.failures[0]).toMatchObject({ result: 'certificate-expired', sessions: 4 });
    expect(api.body.promotion).toMatchObject({
      reportDays: 10,
      failedSessions: 4,
      fetches: { fetches: 3, fetchers: 1 },
    });
    const apiCsv = await request(app.app.getHttpServer())
      .get(`/api/domains/${ACTIVE}/reports/csv`)
      .set('Authorization', `Bearer ${TOKEN}`);
    expect(apiCsv.text).toBe(csv.text);
    expect((await request(app.app.getHttpServer()).get(`/api/domains/${ACTIVE}/reports`)).status).toBe(401);
    expect(
      (
        await request(app.app.getHttpServer())
          .get('/api/domains/nope.example/reports')
          .set('Authorization', `Bearer ${TOKEN}`)
      ).status,
    ).toBe(404);
  });

  it('lists failing domains first across domains, with failure types and what to do', async () => {
    const page = mainOf(expectHtml(await admin.get('/mta-sts/reports')));
    const failing = textOf(/<section aria-labelledby="failing-h">([\s\S]*?)<\/section>/.exec(page)![1]);
    expect(failing).toContain(`${ACTIVE} testing 4 1,000 0.4 % certificate-expired`);
    expect(textOf(page)).toContain('certificate-expired : 4 failed sessions on 1 domain(s).');
    const api = await request(app.app.getHttpServer()).get('/api/reports').set('Authorization', `Bearer ${TOKEN}`);
    expect(api.body.failing.map((row: { domain: string }) => row.domain)).toEqual([ACTIVE]);
    expect(api.body.promotable).toEqual([]);
    expect(api.body.unfetched).toEqual([]);
  });

  it('moves the overview’s periods on with the days, from the logs until the job after midnight sums them anew', async () => {
    const overview = async () =>
      (await request(app.app.getHttpServer()).get('/api/reports').set('Authorization', `Bearer ${TOKEN}`)).body as {
        failing: { domain: string; failed: number }[];
        unfetched: { domain: string }[];
      };
    expect((await overview()).failing).toEqual([expect.objectContaining({ domain: ACTIVE, failed: 4 })]);
    // 13 days on, the failure (2 days ago then) left the 14 days; the fetches left the 7.
    clock.set(new Date(fixture.start.getTime() + 13 * DAY_MS));
    const before = await overview();
    expect(before.failing).toEqual([]);
    expect(before.unfetched.map((row) => row.domain)).toEqual([ACTIVE]);
    expect(await app.app.get(ReportsView).refreshOverview()).toBeGreaterThan(0);
    expect(await overview()).toEqual(before);
    expect(await app.app.get(ReportsView).refreshOverview()).toBe(0);
  });

  it('lists the evidence on Promote and refuses while reports fail, unless the admin confirms the override, which the trail records', async () => {
    const confirm = mainOf(expectHtml(await admin.get(`${cardPath(ACTIVE)}/confirm/promote`)));
    expect(textOf(confirm)).toContain(
      'TLS reports on 10 of the last 14 days: 1,000 successful sessions, 4 failed ( certificate-expired ).',
    );
    expect(textOf(confirm)).toContain('Policy fetched 3 times by 1 address(es) in the last 7 days.');
    const [form] = forms(confirm);
    expect(tags(confirm, 'input').map((input) => input.name)).toContain('overrideReports');

    const refused = await admin.post(form.action, { confirm: 'yes' });
    expect(flashOf((await admin.get(refused.location!)).text)).toContain(
      'TLS reports of the last 14 days show 4 failed sessions (certificate-expired).',
    );
    expect((await app.domains.get(ACTIVE)).mode).toBe('testing');

    await admin.post(form.action, { confirm: 'yes', overrideReports: 'yes' });
    expect((await app.domains.get(ACTIVE)).mode).toBe('enforce');
    const trail = elementsWithClass(mainOf((await admin.get(cardPath(ACTIVE))).text), 'section', 'history').join('');
    expect(textOf(trail || (await admin.get(cardPath(ACTIVE))).text)).toContain(
      'Promoted despite 4 failed sessions in the TLS reports of the last 14 days (certificate-expired); the admin confirmed.',
    );
  });
});
