import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { MtaStsTlsDailyEntity, MtaStsTlsFailureEntity, MtaStsTlsReportEntity } from '../../src/mta-sts/persistence';
import { EXAMPLES_PER_DAY, ReportIntake } from '../../src/mta-sts/services/report-intake';
import { NotificationsService } from '../../src/mta-sts/services/notifications.service';
import { OperationsService } from '../../src/mta-sts/services/operations.service';
import type { MtaStsNotification } from '../../src/mta-sts/ports/notifier.port';
import { oneDomainFakes } from './helpers/pages-app';
import { TestApp, createTestApp } from './helpers/provisioning-app';

const DOMAIN = 'example.com';
const GZIP = 'application/tlsrpt+gzip';

function report(organization: string, reportId: string, failures = 1, successful = 120): Buffer {
  return gzipSync(
    JSON.stringify({
      'organization-name': organization,
      'date-range': { 'start-datetime': '2026-11-25T00:00:00Z', 'end-datetime': '2026-11-25T23:59:59Z' },
      'report-id': reportId,
      policies: [
        {
          policy: { 'policy-type': 'sts', 'policy-domain': DOMAIN, 'mx-host': ['mx1.example.com'] },
          summary: { 'total-successful-session-count': successful, 'total-failure-session-count': failures * 2 },
          'failure-details': Array.from({ length: failures }, (_, index) => ({
            'result-type': 'certificate-expired',
            'sending-mta-ip': `209.85.220.${index}`,
            'receiving-mx-hostname': 'mx1.example.com',
            'failed-session-count': 2,
          })),
        },
        {
          policy: { 'policy-type': 'sts', 'policy-domain': 'not-served.example' },
          summary: { 'total-successful-session-count': 9 },
        },
      ],
    }),
  );
}

/** Report intake through the real module and a real SQLite database. */
describe('Taking in TLS reports', () => {
  let dataDir: string;
  let app: TestApp;
  let intake: ReportIntake;
  let data: DataSource;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-reports-'));
    app = await createTestApp(dataDir, oneDomainFakes(dataDir, DOMAIN));
    await app.domains.add(DOMAIN, 'alice');
    intake = app.app.get(ReportIntake);
    data = app.app.get(DataSource);
  });

  afterEach(async () => {
    await app.app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const daily = async () =>
    (await data.getRepository(MtaStsTlsDailyEntity).find({ order: { result: 'ASC', organization: 'ASC' } })).map(
      (row) => `${row.domain} ${row.day} ${row.organization} ${row.result} ${row.mxHost} ${row.sessions}`,
    );

  it('keeps what a report says about the served domains, once per reporter and id, adding up reporters', async () => {
    expect(await intake.receive(report('Google Inc.', 'g-1'), GZIP, 'https')).toEqual({
      outcome: 'stored',
      domains: [DOMAIN],
      ignoredPolicies: 1,
    });
    expect(await intake.receive(report('Google Inc.', 'g-1'), GZIP, 'https')).toEqual({ outcome: 'duplicate' });
    expect(await intake.receive(report('Microsoft Corporation', 'm-1', 1, 30), GZIP, 'mailto')).toMatchObject({
      outcome: 'stored',
    });
    expect(await daily()).toEqual([
      `${DOMAIN} 2026-11-25 Google Inc. certificate-expired mx1.example.com 2`,
      `${DOMAIN} 2026-11-25 Microsoft Corporation certificate-expired mx1.example.com 2`,
      `${DOMAIN} 2026-11-25 Google Inc. success mx1.example.com 120`,
      `${DOMAIN} 2026-11-25 Microsoft Corporation success mx1.example.com 30`,
    ]);
    const examples = await data.getRepository(MtaStsTlsFailureEntity).find();
    expect(examples.map((row) => [row.organization, row.result, row.sendingMtaIp, row.failedSessions])).toEqual([
      ['Google Inc.', 'certificate-expired', '209.85.220.0', 2],
      ['Microsoft Corporation', 'certificate-expired', '209.85.220.0', 2],
    ]);
    expect(await data.getRepository(MtaStsTlsReportEntity).countBy({ status: 'stored' })).toBe(2);
  });

  it('sends a notice under enforce for a failure type not reported in 90 days, once, and none in testing mode', async () => {
    const notices: MtaStsNotification[] = [];
    const notifications = app.app.get(NotificationsService);
    const send = notifications.send.bind(notifications);
    notifications.send = (notice) => {
      notices.push({ ...notice, at: new Date() });
      send(notice);
    };
    // Testing mode: failures are what testing is for.
    await intake.receive(report('Google Inc.', 'g-t'), GZIP, 'https');
    expect(notices).toEqual([]);

    await app.domainRows.update({ name: DOMAIN }, { mode: 'enforce' });
    await intake.receive(report('Microsoft Corporation', 'm-1'), GZIP, 'https');
    // certificate-expired was reported already (in testing mode): no news.
    expect(notices).toEqual([]);

    await data.getRepository(MtaStsTlsDailyEntity).delete({ domain: DOMAIN });
    await intake.receive(report('Microsoft Corporation', 'm-2'), GZIP, 'https');
    expect(notices).toEqual([
      expect.objectContaining({
        kind: 'report-failure',
        domain: DOMAIN,
        subject: `${DOMAIN}: senders report certificate-expired failures under enforce`,
        text: expect.stringContaining(
          "Microsoft Corporation reports 2 failed sessions of type certificate-expired on 2026-11-25, a type not reported for this domain in the last 90 days. The policy is in enforce mode, so senders that honour MTA-STS defer this mail. An MX host's certificate had expired.",
        ),
      }),
    ]);
    await intake.receive(report('Google Inc.', 'g-again'), GZIP, 'https');
    expect(notices).toHaveLength(1);
  });

  it('adds a second report of one reporter for the same day to the first', async () => {
    await intake.receive(report('Google Inc.', 'g-1'), GZIP, 'https');
    await intake.receive(report('Google Inc.', 'g-1b', 1, 80), GZIP, 'https');
    expect(await daily()).toEqual([
      `${DOMAIN} 2026-11-25 Google Inc. certificate-expired mx1.example.com 4`,
      `${DOMAIN} 2026-11-25 Google Inc. success mx1.example.com 200`,
    ]);
  });

  it('keeps a bounded number of failure examples per domain, day and result', async () => {
    await intake.receive(report('Google Inc.', 'g-2', 30), GZIP, 'https');
    expect(await data.getRepository(MtaStsTlsFailureEntity).count()).toBe(EXAMPLES_PER_DAY);
    expect((await daily())[0]).toBe(`${DOMAIN} 2026-11-25 Google Inc. certificate-expired mx1.example.com 60`);
  });

  it('keeps a report it cannot read with the reason, and counts reports for domains it does not serve', async () => {
    const bomb = gzipSync(Buffer.alloc(9 * 1024 * 1024, 0x20));
    const refused = await intake.receive(bomb, GZIP, 'https');
    expect(refused).toEqual({ outcome: 'rejected', reason: expect.stringContaining('it was not inflated further') });
    const kept = await data.getRepository(MtaStsTlsReportEntity).findOneByOrFail({ status: 'rejected' });
    expect(kept.reason).toBe((refused as { reason: string }).reason);
    expect(Buffer.from(kept.raw, 'base64')).toEqual(bomb);
    const elsewhere = gzipSync(
      JSON.stringify({
        'organization-name': 'Google Inc.',
        'date-range': { 'start-datetime': '2026-11-25T00:00:00Z', 'end-datetime': '2026-11-25T23:59:59Z' },
        'report-id': 'g-9',
        policies: [{ policy: { 'policy-type': 'sts', 'policy-domain': 'other.example' }, summary: {} }],
      }),
    );
    expect(await intake.receive(elsewhere, GZIP, 'https')).toEqual({
      outcome: 'ignored',
      policyDomains: ['other.example'],
    });
    expect(intake.counts).toMatchObject({ ignored: 1, rejected: 1 });
    expect(await daily()).toEqual([]);
    // Counted where operators look: the metrics.
    const metrics = await app.app.get(OperationsService).registry.metrics();
    expect(metrics).toContain('mta_sts_tls_reports_received{outcome="ignored"} 1');
    expect(metrics).toContain('mta_sts_tls_reports_received{outcome="rejected"} 1');
  });
  it('takes reports POSTed to /tlsrpt, answering 2xx only once stored', async () => {
    const server = app.app.getHttpServer();
    const post = (body: Buffer, type: string) => request(server).post('/tlsrpt').set('Content-Type', type).send(body);
    const stored = await post(report('Google Inc.', 'g-http'), GZIP);
    expect([stored.status, stored.text]).toEqual([201, 'Stored.\n']);
    expect((await post(report('Google Inc.', 'g-http'), GZIP)).status).toBe(200);
    const json = await post(Buffer.from('{"organization-name": 1}'), 'application/tlsrpt+json');
    expect([json.status, json.text]).toEqual([400, 'Rejected: date-range is missing.\n']);
    const wrongType = await post(report('Google Inc.', 'g-x'), 'application/json');
    expect(wrongType.status).toBe(415);
    const huge = await post(Buffer.alloc(9 * 1024 * 1024), GZIP);
    expect(huge.status).toBe(413);
    expect(await data.getRepository(MtaStsTlsReportEntity).countBy({ status: 'stored' })).toBe(1);
  });
  it('forgets reports and examples past their retention, and daily counts past theirs', async () => {
    await intake.receive(report('Google Inc.', 'g-old'), GZIP, 'https');
    const reports = data.getRepository(MtaStsTlsReportEntity);
    // Received 200 days ago, about a day 200 days ago.
    const old = new Date(Date.now() - 200 * 86_400_000);
    await reports.update({ reportId: 'g-old' }, { receivedAt: old });
    await data
      .getRepository(MtaStsTlsFailureEntity)
      .update({ domain: DOMAIN }, { day: old.toISOString().slice(0, 10) });
    await data.getRepository(MtaStsTlsDailyEntity).update({ domain: DOMAIN }, { day: old.toISOString().slice(0, 10) });
    await intake.receive(report('Google Inc.', 'g-new'), GZIP, 'https');
    expect(await intake.prune()).toEqual({ reports: 1, examples: 1, totals: 0, fetchDays: 0 });
    expect((await reports.find()).map((row) => row.reportId)).toEqual(['g-new']);
    // The totals stay for 730 days by default.
    expect(await data.getRepository(MtaStsTlsDailyEntity).count()).toBe(4);
  });
});
