import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import { MtaStsTlsReportEntity } from '../../src/mta-sts/persistence';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { FetchActivity } from '../../src/mta-sts/services/fetch-activity';
import { DomainReports } from '../../src/mta-sts/services/reports-view';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';
import { freePort } from '../support/processes';

interface Answer {
  readonly status: number;
  readonly body: string;
}

const GZIP = 'application/tlsrpt+gzip';
const JSON_TYPE = 'application/tlsrpt+json';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * TLS reports and policy fetches end to end: senders POST reports to
 * `https://mta-sts.<domain>/tlsrpt`, through the real nginx the module configures (body
 * cap, rate limit, POST only) to the panel, over the policy host's Pebble certificate;
 * mta-sts-query fetches the policy and the panel reads nginx's log of it. In both layouts.
 */
describe('TLS reports and policy fetches through the real nginx', () => {
  const domain = 'reports.test';
  let lab: Lab;
  let panel: Panel;
  let env: Record<string, string>;

  /** One HTTP/1.1 request over TLS to the lab's nginx with the policy host's name, trusting only Pebble. */
  function send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer,
    host = `mta-sts.${domain}`,
  ): Promise<Answer> {
    const ca = readFileSync(lab.pebble.rootFile, 'utf8');
    return new Promise((resolve, reject) => {
      const socket = connect({ host: lab.address, port: lab.ports.https, servername: host, ca }, () => {
        const head = [
          `${method} ${path} HTTP/1.1`,
          `Host: ${host}`,
          'Connection: close',
          ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
          ...(body ? [`Content-Length: ${body.length}`] : []),
        ];
        socket.write(`${head.join('\r\n')}\r\n\r\n`);
        // nginx may answer (413) before the whole body is sent and close: that is fine.
        if (body) socket.write(body, () => undefined);
      });
      let raw = '';
      socket.setTimeout(20_000, () => socket.destroy(new Error('timeout')));
      socket.on('data', (chunk: Buffer) => (raw += chunk.toString('latin1')));
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (raw && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) finish();
        else reject(error);
      });
      const finish = () => {
        const [head, ...rest] = raw.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n') });
      };
      socket.on('end', finish);
    });
  }

  const post = (body: Buffer, type?: string, host?: string) =>
    send('POST', '/tlsrpt', type === undefined ? {} : { 'Content-Type': type }, body, host);

  /** Adds and enables a domain with the records the panel asks for published in the lab's DNS. */
  async function enable(name: string): Promise<void> {
    await lab.publishDomain(name);
    const added = await panel.api<DomainView>('POST', '/api/domains', { domain: name });
    expect(added.status).toBe(201);
    const records = Object.fromEntries(added.body.records.map((record) => [record.name, record.value]));
    // The record points senders at the policy host's intake.
    expect(records[`_smtp._tls.${name}`]).toBe(`v=TLSRPTv1; rua=https://mta-sts.${name}/tlsrpt`);
    await lab.dnsmasq.update({
      txt: {
        [`_mta-sts.${name}`]: [records[`_mta-sts.${name}`]],
        [`_smtp._tls.${name}`]: [records[`_smtp._tls.${name}`]],
      },
    });
    await panel.api('POST', `/api/domains/${name}/enable`);
    expect((await panel.settle(name)).state).toBe('active');
  }

  function report(id: string, overrides: Record<string, unknown> = {}, policyDomain = domain): Record<string, unknown> {
    return {
      'organization-name': 'Example Sender',
      'date-range': { 'start-datetime': '2026-11-25T00:00:00Z', 'end-datetime': '2026-11-25T23:59:59Z' },
      'contact-info': 'smtp-tls-reporting@sender.example',
      'report-id': id,
      policies: [
        {
          policy: { 'policy-type': 'sts', 'policy-domain': policyDomain, 'mx-host': [`mx.${domain}`] },
          summary: { 'total-successful-session-count': 50, 'total-failure-session-count': 1 },
          'failure-details': [
            {
              'result-type': 'certificate-expired',
              'sending-mta-ip': '198.51.100.7',
              'receiving-mx-hostname': `mx.${domain}`,
              'failed-session-count': 1,
            },
          ],
        },
      ],
      ...overrides,
    };
  }
  const gz = (value: unknown) => gzipSync(JSON.stringify(value));

  async function storedReports(): Promise<MtaStsTlsReportEntity[]> {
    return panel.app
      .get(DataSource)
      .getRepository(MtaStsTlsReportEntity)
      .find({ order: { id: 'ASC' } });
  }

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    await lab.publishDomain(domain);
    const port = await freePort();
    env = lab.env({
      PORT: String(port),
      MTA_STS_TLSRPT_HTTPS: 'true',
      MTA_STS_TLSRPT_RATE: '600',
      MTA_STS_SMTP_PROBE: 'false',
    });
    panel = await Panel.start(env);
    await enable(domain);
  }, 90_000);

  afterAll(async () => {
    await panel?.close();
    await lab?.stop();
  });

  it('stores a report POSTed over the policy host’s certificate, answers a second copy 200, and serves only POST', async () => {
    expect(await post(gz(report('r-1')), GZIP)).toEqual({ status: 201, body: 'Stored.\n' });
    expect(await post(gz(report('r-1')), GZIP)).toEqual({ status: 200, body: 'This report was received before.\n' });
    expect((await post(Buffer.from(JSON.stringify(report('r-2'))), JSON_TYPE)).status).toBe(201);
    expect((await send('GET', '/tlsrpt', {})).status).toBe(403);
    expect((await send('PUT', '/tlsrpt', { 'Content-Type': GZIP }, gz(report('r-3')))).status).toBe(403);
    // Nothing else of the panel is reachable through the policy host.
    expect((await send('GET', '/healthz', {})).status).toBe(404);
    expect((await send('GET', '/api/domains', {})).status).toBe(404);

    const reports = (await panel.api<DomainReports>('GET', `/api/domains/${domain}/reports`)).body;
    expect(reports.summary.windows[0]).toMatchObject({ successful: 100, failed: 2 });
    expect(reports.summary.failures[0]).toMatchObject({ result: 'certificate-expired', sessions: 2 });
  });

  it('refuses or keeps as rejected every one of 35 malformed or hostile reports, losing nothing and staying up', async () => {
    const valid = report('hostile-base');
    const policy = (valid.policies as Record<string, unknown>[])[0];
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    const truncated = gz(report('cut'));
    const cases: [string, Buffer, string | undefined, number][] = [
      ['not gzip at all', Buffer.from('this is not gzip'), GZIP, 400],
      ['gzip bomb (9 MiB of spaces)', gzipSync(Buffer.alloc(9 * 1024 * 1024, 0x20)), GZIP, 400],
      ['truncated gzip', truncated.subarray(0, truncated.length >> 1), GZIP, 400],
      ['gzip of nothing', gzipSync(Buffer.alloc(0)), GZIP, 400],
      ['truncated JSON', Buffer.from(JSON.stringify(valid).slice(0, 100)), JSON_TYPE, 400],
      ['not JSON', Buffer.from('{not json}'), JSON_TYPE, 400],
      ['empty body', Buffer.alloc(0), JSON_TYPE, 400],
      ['a JSON array', json([valid]), JSON_TYPE, 400],
      ['JSON null', json(null), JSON_TYPE, 400],
      ['a JSON string', json('report'), JSON_TYPE, 400],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), JSON_TYPE, 400],
      ['deeply nested arrays', Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)), JSON_TYPE, 400],
      ['organization-name a number', json({ ...valid, 'organization-name': 42 }), JSON_TYPE, 400],
      ['report-id missing', json({ ...valid, 'report-id': undefined }), JSON_TYPE, 400],
      ['date-range missing', json({ ...valid, 'date-range': undefined }), JSON_TYPE, 400],
      [
        'start-datetime garbage',
        json({ ...valid, 'date-range': { 'start-datetime': 'yesterday', 'end-datetime': 'today' } }),
        JSON_TYPE,
        400,
      ],
      ['policies not a list', json({ ...valid, policies: { policy } }), JSON_TYPE, 400],
      ['policies empty', json({ ...valid, policies: [] }), JSON_TYPE, 400],
      ['1,001 policies', json({ ...valid, policies: Array(1_001).fill(policy) }), JSON_TYPE, 400],
      [
        '10,001 failure details',
        json({
          ...valid,
          policies: [{ ...policy, 'failure-details': Array(10_001).fill((policy['failure-details'] as unknown[])[0]) }],
        }),
        JSON_TYPE,
        400,
      ],
      ['a 2,000-character reporter name', json({ ...valid, 'organization-name': 'x'.repeat(2_000) }), JSON_TYPE, 400],
      [
        'a negative session count',
        json({ ...valid, policies: [{ ...policy, summary: { 'total-successful-session-count': -5 } }] }),
        JSON_TYPE,
        400,
      ],
      [
        'a session count as text',
        json({ ...valid, policies: [{ ...policy, summary: { 'total-successful-session-count': '50' } }] }),
        JSON_TYPE,
        400,
      ],
      [
        'a fractional session count',
        json({ ...valid, policies: [{ ...policy, summary: { 'total-successful-session-count': 1.5 } }] }),
        JSON_TYPE,
        400,
      ],
      [
        'mx-host a number',
        json({
          ...valid,
          policies: [{ ...policy, policy: { 'policy-type': 'sts', 'policy-domain': domain, 'mx-host': 7 } }],
        }),
        JSON_TYPE,
        400,
      ],
      [
        'an unknown policy type',
        json({ ...valid, policies: [{ ...policy, policy: { 'policy-type': 'dane', 'policy-domain': domain } }] }),
        JSON_TYPE,
        400,
      ],
      ['a domain not served here', gz(report('elsewhere', {}, 'elsewhere.test')), GZIP, 404],
      ['a duplicate report id', gz(report('r-1')), GZIP, 200],
      ['text/plain', json(valid), 'text/plain', 415],
      ['no content type', json(valid), undefined, 415],
      ['application/json', json(valid), 'application/json', 415],
      [
        'gzip over 1 MiB compressed',
        Buffer.concat([gzipSync(Buffer.alloc(10)), Buffer.alloc(1_100_000, 1)]),
        GZIP,
        400,
      ],
      ['a body over nginx’s 8 MiB cap', Buffer.alloc(9 * 1024 * 1024, 0x20), JSON_TYPE, 413],
      [
        '__proto__ keys',
        Buffer.from(JSON.stringify(report('proto')).replace('{', '{"__proto__":{"polluted":1},')),
        JSON_TYPE,
        201,
      ],
      [
        'NUL bytes in a reporter name',
        json({ ...valid, 'report-id': 'nul', 'organization-name': 'a\u0000b' }),
        JSON_TYPE,
        201,
      ],
    ];
    expect(cases.length).toBeGreaterThanOrEqual(35);
    const before = (await storedReports()).length;
    const answers: [string, number][] = [];
    for (const [name, body, type] of cases) {
      answers.push([name, (await post(body, type)).status]);
      await sleep(110); // below the 600-a-minute rate this panel allows
    }
    expect(answers).toEqual(cases.map(([name, , , status]) => [name, status]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // Every 400 is kept with its reason and what could be read of the body; every 201 is stored.
    const added = (await storedReports()).slice(before);
    const rejected = added.filter((row) => row.status === 'rejected');
    expect(rejected).toHaveLength(cases.filter(([, , , status]) => status === 400).length);
    expect(rejected.every((row) => row.reason && row.reason.length > 5)).toBe(true);
    expect(added.filter((row) => row.status === 'stored')).toHaveLength(2);
    // The panel is unaffected: it still takes a good report and answers its API.
    expect((await post(gz(report('after-hostile')), GZIP)).status).toBe(201);
    expect((await panel.api('GET', '/healthz')).status).toBe(200);
  }, 120_000);

  it('answers 429 when one address sends faster than the rate and its burst', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => post(gz(report('r-1')), GZIP)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    await sleep(2_000);
  });

  it('counts policy fetches from nginx’s log while mta-sts-query fetches the policy', async () => {
    for (let run = 0; run < 3; run++) expect(await lab.mtaStsQuery(domain)).toContain('VALID');
    expect((await lab.fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt')).status).toBe(200);
    const run = await panel.app.get(FetchActivity).ingest();
    expect(run.counted).toBe(4);
    // A second read counts nothing again.
    expect((await panel.app.get(FetchActivity).ingest()).counted).toBe(0);
    const reports = (await panel.api<DomainReports>('GET', `/api/domains/${domain}/reports`)).body;
    expect(reports.fetches!.chart.total).toBe(4);
    expect(reports.fetches!.fetchers).toEqual([expect.objectContaining({ address: '127.0.0.1', fetches: 4 })]);
    expect(reports.promotion.fetches).toEqual({ fetches: 4, fetchers: 1 });
  });

  it('does the same in the shared layout after a restart: reports in, fetches counted once', async () => {
    await panel.close();
    panel = await Panel.start({ ...env, MTA_STS_NGINX_LAYOUT: 'shared' });
    const other = 'shared-reports.test';
    await enable(other);
    expect(readdirSync(lab.nginx.sitesDir)).toContain('00-mta-sts-shared.conf');
    expect(readdirSync(lab.nginx.sitesDir)).not.toContain(`mta-sts.${other}.conf`);
    const host = `mta-sts.${other}`;
    expect((await post(gz(report('shared-1', {}, other)), GZIP, host)).status).toBe(201);
    expect((await send('GET', '/tlsrpt', {}, undefined, host)).status).toBe(403);
    expect((await post(Buffer.alloc(9 * 1024 * 1024, 0x20), JSON_TYPE, host)).status).toBe(413);
    expect(await lab.mtaStsQuery(other)).toContain('VALID');
    expect((await panel.app.get(FetchActivity).ingest()).counted).toBe(1);
    const reports = (await panel.api<DomainReports>('GET', `/api/domains/${other}/reports`)).body;
    expect(reports.fetches!.chart.total).toBe(1);
    expect(reports.summary.windows[0]).toMatchObject({ successful: 50, failed: 1 });
  }, 90_000);
});
