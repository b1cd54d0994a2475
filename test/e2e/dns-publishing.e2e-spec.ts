import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { UpdateServer } from '../support/authoritative-dns';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';
import { freePort, waitFor } from '../support/processes';
import { LoopbackSmtpServer, startSmtpServer } from '../support/smtp-server';
import { TestCa } from '../support/test-ca';

const ZONE = 'pub.test';
const MX = `mx.${ZONE}`;

/**
 * One click, end to end: the standalone panel writes the records into a real zone (Knot
 * DNS as primary, BIND as its secondary), the lab's resolver forwards the zone to them,
 * Pebble validates HTTP-01 through the published address, and Debian's mta-sts-query as a
 * sender finds the policy under the id the panel published, after each lifecycle step,
 * with no record published by hand.
 */
describe('DNS publishing end to end', () => {
  let lab: Lab;
  let panel: Panel;
  let primary: UpdateServer;
  let secondary: UpdateServer;
  let smtp: LoopbackSmtpServer | undefined;
  let mxCa: TestCa;

  const view = async () => (await panel.api<DomainView>('GET', `/api/domains/${ZONE}`)).body;
  const bothServers = async (name: string, type: string) => [
    await primary.values(name, type),
    await secondary.values(name, type),
  ];

  /** Waits until both authoritative servers answer the served id, and the panel has seen it. */
  async function published(id: string): Promise<void> {
    await waitFor(
      `both servers to answer id ${id}`,
      async () => {
        const answers = await bothServers(`_mta-sts.${ZONE}`, 'TXT');
        return answers.every((values) => values.length === 1 && values[0] === `v=STSv1; id=${id}`);
      },
      20_000,
    );
    await waitFor('the id to be marked visible', async () => (await view()).lifecycle.policyVisibleAt !== null, 20_000);
  }

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    mxCa = await TestCa.create('Publishing MX CA');
    const port = await freePort();
    // Knot on the lab's own address; BIND listens only on an interface address (127.0.0.1).
    const nameservers = { [`ns1.${ZONE}`]: lab.address, [`ns2.${ZONE}`]: '127.0.0.1' };
    primary = await UpdateServer.start('knot', ZONE, {
      address: lab.address,
      port,
      nameservers,
      notify: [{ address: '127.0.0.1', port }],
      records: [`@ IN MX 10 ${MX}.`, `mx IN A ${lab.address}`],
    });
    secondary = await UpdateServer.start('bind', ZONE, {
      address: '127.0.0.1',
      port,
      nameservers,
      secondaryOf: primary,
    });
    await lab.dnsmasq.update({ forward: { [ZONE]: `${lab.address}#${port}` } });
    const zones = join(lab.dir, 'dns-zones.json');
    writeFileSync(
      zones,
      JSON.stringify({
        zones: [
          {
            kind: 'rfc2136',
            zone: ZONE,
            server: `${lab.address}:${port}`,
            keyName: primary.keyName,
            keySecret: primary.secret,
          },
        ],
        ttl: 30,
        authoritativePort: port,
        convergenceTimeoutMs: 20_000,
      }),
    );
    chmodSync(zones, 0o600);
    panel = await Panel.start(
      lab.env({ MTA_STS_DNS_ZONES_FILE: zones, MTA_STS_CHECK_CA_FILE: lab.checksCaFile(mxCa.certificatePem) }),
    );
  }, 90_000);

  afterAll(async () => {
    await smtp?.stop();
    await panel?.close();
    await secondary?.stop();
    await primary?.stop();
    await lab?.stop();
  });

  it('Enable publishes the address, gets the certificate through it, then publishes the id', async () => {
    expect((await panel.api('POST', '/api/domains', { domain: ZONE })).status).toBe(201);
    // Nothing in the zone yet: the address comes with Enable.
    expect(await bothServers(`mta-sts.${ZONE}`, 'A')).toEqual([[], []]);
    await panel.api('POST', `/api/domains/${ZONE}/enable`);
    const enabled = await panel.settle(ZONE);
    expect(enabled.state).toBe('active');
    await published(enabled.servedPolicyId!);
    expect(await bothServers(`mta-sts.${ZONE}`, 'A')).toEqual([[lab.address], [lab.address]]);
    const query = await lab.mtaStsQuery(ZONE);
    expect(query).toContain('VALID');
    expect(query).toContain(enabled.servedPolicyId!);
  }, 120_000);

  it('a max_age change and Promote each publish their new id, and the sender follows', async () => {
    const shorter = await panel.api<{ domain: DomainView; note: string }>('POST', `/api/domains/${ZONE}/max-age`, {
      maxAge: 86_400,
    });
    expect(shorter.status).toBe(200);
    await published(shorter.body.domain.servedPolicyId!);
    expect(await lab.mtaStsQuery(ZONE)).toContain(shorter.body.domain.servedPolicyId!);

    smtp = await startSmtpServer({ host: lab.address, port: 25, ...(await mxCa.issue([MX])) });
    const promoted = await panel.api<{ domain: DomainView }>('POST', `/api/domains/${ZONE}/mode`, { mode: 'enforce' });
    expect(promoted.status).toBe(200);
    await published(promoted.body.domain.servedPolicyId!);
    const query = await lab.mtaStsQuery(ZONE);
    expect(query).toContain('VALID');
    expect(query).toContain('enforce');
    expect(query).toContain(promoted.body.domain.servedPolicyId!);

    const reverted = await panel.api<{ domain: DomainView }>('POST', `/api/domains/${ZONE}/mode`, { mode: 'testing' });
    await published(reverted.body.domain.servedPolicyId!);
    expect(await lab.mtaStsQuery(ZONE)).toContain(reverted.body.domain.servedPolicyId!);
  }, 120_000);

  it('an MX change in testing mode is followed and published', async () => {
    execFileSync('knsupdate', ['-y', `hmac-sha256:${primary.keyName}:${primary.secret}`], {
      input: [
        `server ${primary.address} ${primary.port}`,
        `zone ${ZONE}.`,
        `add mx2.${ZONE}. 30 A ${lab.address}`,
        `add ${ZONE}. 30 MX 20 mx2.${ZONE}.`,
        'send',
        '',
      ].join('\n'),
    });
    const refreshed = await panel.api<{ domain: DomainView }>('POST', `/api/domains/${ZONE}/refresh-mx`);
    expect(refreshed.body.domain.mx).toEqual([MX, `mx2.${ZONE}`]);
    await published(refreshed.body.domain.servedPolicyId!);
    expect(await lab.mtaStsQuery(ZONE)).toContain(`mx2.${ZONE}`);
  }, 60_000);

  it('Retire publishes the mode none id; Remove now takes the records out of both servers', async () => {
    const retiring = await panel.api<{ domain: DomainView }>('POST', `/api/domains/${ZONE}/disable`, {});
    expect(retiring.status).toBe(200);
    await published(retiring.body.domain.servedPolicyId!);
    expect(await lab.mtaStsQuery(ZONE)).toMatch(/none/);
    expect((await panel.api('POST', `/api/domains/${ZONE}/disable`, { now: true })).status).toBe(200);
    await waitFor('the records to leave both servers', async () => {
      const [txt, address] = [await bothServers(`_mta-sts.${ZONE}`, 'TXT'), await bothServers(`mta-sts.${ZONE}`, 'A')];
      return [...txt, ...address].every((values) => values.length === 0);
    });
    // The TLS-RPT record stays: reports stay useful without MTA-STS.
    expect((await primary.values(`_smtp._tls.${ZONE}`, 'TXT'))[0]).toMatch(/^v=TLSRPTv1; rua=/);
  }, 60_000);
});
