import { generateKeyPairSync } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ImapFlow } from 'imapflow';
import { dkimSign } from 'mailauth/lib/dkim/sign';
import MailComposer from 'nodemailer/lib/mail-composer';
import { DataSource } from 'typeorm';
import { MtaStsTlsReportEntity } from '../../src/mta-sts/persistence';
import { DomainReports } from '../../src/mta-sts/services/reports-view';
import { Dovecot } from '../support/dovecot';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';

/**
 * TLS reports mailed to a real Dovecot IMAP server (Debian's dovecot-imapd), read by the
 * panel over IMAPS and over IMAP with STARTTLS: reports stored with their DKIM verdict
 * (checked against a key published in the lab's DNS), processed messages moved to one
 * folder, unreadable ones to another with the reason recorded, nothing deleted.
 */
describe('TLS reports from a real IMAP mailbox', () => {
  const domain = 'mailed.test';
  const sender = 'reporter.test';
  let lab: Lab;
  let dovecot: Dovecot;
  let panel: Panel;
  const keys = generateKeyPairSync('ed25519');
  const publicKey = keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  const privateKey = keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

  function report(id: string): Buffer {
    return gzipSync(
      JSON.stringify({
        'organization-name': 'Reporter Inc.',
        'date-range': { 'start-datetime': '2026-11-25T00:00:00Z', 'end-datetime': '2026-11-25T23:59:59Z' },
        'report-id': id,
        policies: [
          {
            policy: { 'policy-type': 'sts', 'policy-domain': domain, 'mx-host': [`mx.${domain}`] },
            summary: { 'total-successful-session-count': 70, 'total-failure-session-count': 0 },
          },
        ],
      }),
    );
  }

  /** A report mail as RFC 8460 §5.3.1 describes it, DKIM-signed (Ed25519) by the reporter. */
  async function mail(id: string, attachment: Buffer | null, tamper = false): Promise<Buffer> {
    const composed = await new MailComposer({
      from: `noreply-smtp-tls-reporting@${sender}`,
      to: 'tls-reports@example.net',
      subject: `Report Domain: ${domain} Submitter: ${sender} Report-ID: <${id}>`,
      headers: { 'TLS-Report-Domain': domain, 'TLS-Report-Submitter': sender },
      text: 'This is an aggregate TLS report.',
      attachments: attachment
        ? [
            {
              filename: `${sender}!${domain}!1764028800!1764115199!${id}.json.gz`,
              content: attachment,
              contentType: 'application/tlsrpt+gzip',
            },
          ]
        : [],
    })
      .compile()
      .build();
    // mailauth signs with `signatureData` (its typings say otherwise: top-level fields sign nothing).
    const signed = await dkimSign(composed, {
      signatureData: [{ signingDomain: sender, selector: 'tls', privateKey, algorithm: 'ed25519-sha256' }],
    } as unknown as Parameters<typeof dkimSign>[1]);
    expect(signed.signatures).toMatch(/^DKIM-Signature: /);
    const message = Buffer.concat([Buffer.from(signed.signatures), composed]);
    return tamper
      ? Buffer.from(message.toString('latin1').replace('This is an aggregate', 'This is a forged'), 'latin1')
      : message;
  }

  async function folders(): Promise<Record<string, number>> {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: dovecot.imapsPort,
      secure: true,
      auth: { user: dovecot.user, pass: dovecot.password },
      tls: { ca: [dovecot.caPem] },
      logger: false,
    });
    await client.connect();
    try {
      const counts: Record<string, number> = {};
      for (const box of await client.list()) {
        const status = await client.status(box.path, { messages: true });
        counts[box.path] = status ? (status.messages ?? 0) : 0;
      }
      return counts;
    } finally {
      await client.logout();
    }
  }

  const rows = () =>
    panel.app
      .get(DataSource)
      .getRepository(MtaStsTlsReportEntity)
      .find({ order: { id: 'ASC' } });

  const imapEnv = (secure: boolean) =>
    lab.env({
      MTA_STS_IMAP_HOST: '127.0.0.1',
      MTA_STS_IMAP_PORT: String(secure ? dovecot.imapsPort : dovecot.imapPort),
      MTA_STS_IMAP_TLS: String(secure),
      MTA_STS_IMAP_USER: dovecot.user,
      MTA_STS_IMAP_PASSWORD: dovecot.password,
      MTA_STS_IMAP_ADDRESS: 'tls-reports@example.net',
      MTA_STS_IMAP_CA_FILE: dovecot.caFile,
    });

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    await lab.publishDomain(domain);
    await lab.dnsmasq.update({ txt: { [`tls._domainkey.${sender}`]: [`v=DKIM1; k=ed25519; p=${publicKey}`] } });
    dovecot = await Dovecot.start();
    panel = await Panel.start(imapEnv(true));
    expect((await panel.api('POST', '/api/domains', { domain })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await panel?.close();
    await dovecot?.stop();
    await lab?.stop();
  });

  it('points the TLS-RPT record at the mailbox', async () => {
    const view = (await panel.api<{ records: { name: string; value: string }[] }>('GET', `/api/domains/${domain}`))
      .body;
    expect(view.records.find((record) => record.name === `_smtp._tls.${domain}`)?.value).toBe(
      'v=TLSRPTv1; rua=mailto:tls-reports@example.net',
    );
  });

  it('stores mailed reports with their DKIM verdict, and sets aside what it cannot read, with the reason', async () => {
    dovecot.deliver(await mail('m-1', report('m-1')));
    dovecot.deliver(await mail('m-1', report('m-1'))); // the same report again
    dovecot.deliver(await mail('m-2', report('m-2'), true)); // body changed after signing
    dovecot.deliver(await mail('none', null)); // no report in it
    dovecot.deliver(await mail('bad', Buffer.from('not gzip at all'))); // a report part that is not gzip
    dovecot.deliver('this is not a mail message at all\r\n');

    const run = await panel.api('POST', '/api/reports/mailbox');
    expect(run).toEqual({ status: 200, body: { processed: 3, unreadable: 3, left: 0 } });

    expect(await folders()).toMatchObject({ INBOX: 0, 'TLS reports': 3 });
    const unreadable = Object.entries(await folders()).find(([path]) => /unreadable$/.test(path));
    expect(unreadable?.[1]).toBe(3);

    const stored = await rows();
    expect(stored.filter((row) => row.status === 'stored').map((row) => [row.reportId, row.via, row.dkim])).toEqual([
      ['m-1', 'mailto', `pass (d=${sender})`],
      ['m-2', 'mailto', `neutral (d=${sender}: body hash did not verify)`],
    ]);
    const rejected = stored.filter((row) => row.status === 'rejected');
    expect(rejected.map((row) => row.reason)).toEqual([
      expect.stringContaining('the message holds no TLS report'),
      expect.stringContaining('gzip'),
      expect.stringContaining('the message holds no TLS report'),
    ]);
    // What could not be read is kept: the message's source, base64.
    expect(Buffer.from(rejected[0].raw, 'base64').toString()).toMatch(/Report-ID:\s+<none>/);

    const reports = (await panel.api<DomainReports>('GET', `/api/domains/${domain}/reports`)).body;
    expect(reports.summary.windows[2]).toMatchObject({ successful: 140, failed: 0 });

    // A second read finds nothing new and moves nothing.
    expect((await panel.api('POST', '/api/reports/mailbox')).body).toEqual({ processed: 0, unreadable: 0, left: 0 });
  }, 60_000);

  it('reads the mailbox over IMAP with STARTTLS too', async () => {
    await panel.close();
    panel = await Panel.start(imapEnv(false));
    dovecot.deliver(await mail('m-3', report('m-3')));
    expect((await panel.api('POST', '/api/reports/mailbox')).body).toEqual({ processed: 1, unreadable: 0, left: 0 });
    expect((await rows()).at(-1)).toMatchObject({ reportId: 'm-3', status: 'stored', dkim: `pass (d=${sender})` });
  }, 60_000);
});
