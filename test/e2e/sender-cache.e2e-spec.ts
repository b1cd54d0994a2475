import { join } from 'node:path';
import { DnsRecord } from '../../src/mta-sts/domain/dns-records';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';
import { PostfixSender } from '../support/postfix-sender';
import { waitFor } from '../support/processes';
import { LoopbackSmtpServer, startSmtpServer } from '../support/smtp-server';
import { TestCa } from '../support/test-ca';

interface PolicyChangeAnswer {
  readonly domain: DomainView;
  readonly idChanged: boolean;
  readonly publish: DnsRecord | null;
  readonly note: string;
}

/**
 * "Revert to testing", the emergency brake, seen by a real sender (RFC 8461 §3.1, §5.1):
 * Debian's Postfix with mta-sts-daemon as its TLS policy map. The sender first looks at the
 * domain in the window after a promotion, while DNS still announces the testing id: it
 * caches the enforce text under that id, and its mail to an MX whose certificate it does
 * not trust stays deferred. After the revert the panel asks for a new id; once that id is
 * published the sender fetches the testing policy again and delivers. Had the revert gone
 * back to the testing id, the sender would have seen no change and kept enforcing for
 * max_age (a week).
 */
describe('A real sender released by Revert to testing', () => {
  const domain = 'shop.test';
  const mxHost = `mx.${domain}`;
  let lab: Lab;
  let panel: Panel;
  let mx: LoopbackSmtpServer;
  let sender: PostfixSender;

  async function view(): Promise<DomainView> {
    return (await panel.api<DomainView>('GET', `/api/domains/${domain}`)).body;
  }

  async function publish(record: DnsRecord): Promise<void> {
    await lab.dnsmasq.update({ txt: { [record.name]: [record.value] } });
  }

  async function sweep(): Promise<void> {
    expect((await panel.api('POST', '/api/checks')).status).toBe(200);
  }

  /** Waits past mta-sts-daemon's cache grace, so its next answer looks at DNS again. */
  const pastCacheGrace = () => new Promise((resolve) => setTimeout(resolve, 1_500));

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    const mxCa = await TestCa.create('Sender test MX CA');
    await lab.publishDomain(domain);
    // The MX offers STARTTLS with a certificate the panel's probe trusts (so promotion is
    // allowed) but the sender does not: "something is wrong with an MX certificate".
    mx = await startSmtpServer({ host: lab.address, port: 25, ...(await mxCa.issue([mxHost])) });
    panel = await Panel.start(lab.env({ MTA_STS_CHECK_CA_FILE: lab.checksCaFile(mxCa.certificatePem) }));

    const added = await panel.api<DomainView>('POST', '/api/domains', { domain });
    expect(added.status).toBe(201);
    for (const record of added.body.records.filter((candidate) => candidate.type === 'TXT')) await publish(record);
    expect((await panel.api('POST', `/api/domains/${domain}/enable`)).status).toBe(202);
    const enabled = await panel.settle(domain);
    if (enabled.state !== 'active') throw new Error(`enabling ${domain} failed: ${JSON.stringify(enabled.error)}`);

    sender = await PostfixSender.start({
      dir: join(lab.dir, 'sender'),
      nameserver: lab.dnsmasq.address,
      policyCaFile: lab.pebble.rootFile,
      // Pebble's root only: the MX certificate is not trusted by this sender.
      mxCaFile: lab.pebble.rootFile,
      cacheGraceSeconds: 1,
    });
  }, 120_000);

  afterAll(async () => {
    await sender?.stop();
    await mx?.stop();
    await panel?.close();
    await lab?.stop();
  });

  it('defers under the enforce policy cached under the old id, and delivers once the new id of the revert is published', async () => {
    // 1. Active in testing mode; DNS announces id A.
    await sweep();
    const active = await view();
    expect(active.state).toBe('active');
    const idA = active.servedPolicyId!;
    expect(active.lifecycle.policyVisibleAt).not.toBeNull();

    // 2. Promote: the enforce text is served under id B, which the admin has not published yet.
    const promoted = await panel.api<PolicyChangeAnswer>('POST', `/api/domains/${domain}/mode`, { mode: 'enforce' });
    expect(promoted.status).toBe(200);
    const idB = promoted.body.domain.servedPolicyId!;
    expect(idB).not.toBe(idA);
    expect(promoted.body.publish?.value).toBe(`v=STSv1; id=${idB}`);

    // 3. A sender looks at the domain for the first time now: id A in DNS, the enforce text
    //    over HTTPS. Its mail to the MX with the certificate it does not trust is deferred.
    await sender.send('alice@sender.test', `bob@${domain}`, 'Sent while enforce was served');
    let reason: string | undefined;
    await waitFor(
      'the message to be deferred',
      async () => {
        reason = (await sender.queue())[0]?.recipients[0]?.delay_reason;
        return reason !== undefined;
      },
      20_000,
    );
    expect(reason).toBe('Server certificate not verified');
    expect(await sender.policyFor(domain)).toBe(`secure match=${mxHost} servername=hostname`);
    expect(mx.received).toEqual([]);

    // 4. Revert to testing: the testing text again, under an id never announced before.
    const reverted = await panel.api<PolicyChangeAnswer>('POST', `/api/domains/${domain}/mode`, { mode: 'testing' });
    expect(reverted.status).toBe(200);
    const idC = reverted.body.domain.servedPolicyId!;
    expect([idA, idB]).not.toContain(idC);
    expect(reverted.body.domain.policy!.text).toBe(active.policy!.text);
    expect(reverted.body.domain.state).toBe('changing');
    expect(reverted.body.publish).toMatchObject({
      name: `_mta-sts.${domain}`,
      type: 'TXT',
      value: `v=STSv1; id=${idC}`,
    });
    expect(reverted.body.note).toContain(`Publish _mta-sts.${domain} TXT "v=STSv1; id=${idC}"`);
    expect(reverted.body.domain.alerts.join(' ')).toContain(`publish _mta-sts.${domain} TXT "v=STSv1; id=${idC}"`);

    // 5. While DNS still says A, the sender sees no change and keeps enforcing: this is why
    //    the revert must never go back to A.
    await pastCacheGrace();
    expect(await sender.policyFor(domain)).toBe(`secure match=${mxHost} servername=hostname`);

    // 6. The admin publishes exactly what the panel asked for: the sender fetches the
    //    testing policy and delivers the deferred message.
    await publish(reverted.body.publish!);
    await pastCacheGrace();
    expect(await sender.policyFor(domain)).toBe('NOTFOUND');
    await sender.flush();
    await waitFor('the deferred message to be delivered', async () => mx.received.length === 1, 20_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${sender.log()}`);
      },
    );
    expect(mx.received[0]).toMatchObject({ from: 'alice@sender.test', to: [`bob@${domain}`], secure: true });
    expect(await sender.queue()).toEqual([]);

    // An independent client agrees, and the panel sees the new id in DNS.
    const query = await lab.mtaStsQuery(domain);
    expect(query).toContain('VALID');
    expect(query).toContain(idC);
    await sweep();
    expect((await view()).state).toBe('active');
  });
});
