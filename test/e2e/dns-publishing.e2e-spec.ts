import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { PowerDns, UpdateServer } from '../support/authoritative-dns';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';
import { execFileAsync, freePort, waitFor } from '../support/processes';
import { Unbound } from '../support/recursive-dns';
import { LoopbackSmtpServer, startSmtpServer } from '../support/smtp-server';
import { TestCa } from '../support/test-ca';

const ZONE = 'pub.test';
const MX = `mx.${ZONE}`;
/** The operator's name for delegated hosting, inside the zone the panel writes. */
const DELEGATION = `sts.${ZONE}`;
/** A customer who keeps their own DNS. */
const CUSTOMER = 'cust.test';
/** A zone on PowerDNS, written through its HTTP API. */
const PDNS_ZONE = 'pdns.test';

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
  /** A customer's own zone, for delegated hosting: two CNAMEs into the operator's zone. */
  let customerZone: UpdateServer | undefined;
  let unbound: Unbound | undefined;
  let pdns: PowerDns | undefined;

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
    customerZone = await UpdateServer.start('knot', CUSTOMER, {
      address: lab.address,
      nameservers: { [`ns1.${CUSTOMER}`]: lab.address },
      records: [
        `@ IN MX 10 mx.${CUSTOMER}.`,
        `mx IN A ${lab.address}`,
        `_mta-sts IN CNAME ${CUSTOMER}.${DELEGATION}.`,
        `mta-sts IN CNAME mta-sts-host.${DELEGATION}.`,
        `_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@${CUSTOMER}"`,
      ],
    });
    // A recursive resolver follows the customer's CNAMEs into the operator's zone; the
    // lab's DNS forwards both zones to it.
    unbound = await Unbound.start('127.0.0.1', await freePort(), {
      [ZONE]: [
        { address: lab.address, port },
        { address: '127.0.0.1', port },
      ],
      [CUSTOMER]: [{ address: lab.address, port: customerZone.port }],
    });
    // PowerDNS on a third loopback address, on the same port: the panel asks every
    // authoritative server on one port.
    const pdnsAddress = `127.${randomInt(100, 250)}.${randomInt(1, 250)}.${randomInt(2, 250)}`;
    pdns = await PowerDns.start(PDNS_ZONE, {
      address: pdnsAddress,
      port,
      records: [`@ IN MX 10 mx.${PDNS_ZONE}.`, `mx IN A ${lab.address}`],
    });
    await lab.dnsmasq.update({
      forward: {
        [ZONE]: `127.0.0.1#${unbound.port}`,
        [CUSTOMER]: `127.0.0.1#${unbound.port}`,
        [PDNS_ZONE]: `${pdnsAddress}#${port}`,
      },
    });
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
          {
            kind: 'powerdns',
            zone: PDNS_ZONE,
            apiUrl: pdns.apiUrl,
            apiKey: pdns.apiKey,
            dnsServer: `${pdnsAddress}:${port}`,
          },
        ],
        ttl: 30,
        authoritativePort: port,
        delegation: { zone: DELEGATION },
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
    await pdns?.stop();
    await unbound?.stop();
    await customerZone?.stop();
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
    // Resolvers may ask either server: wait until the secondary has the change too.
    await waitFor('both servers to answer the new MX', async () =>
      (await bothServers(ZONE, 'MX')).every((values) => values.length === 2),
    );
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

  it('hosts a customer who keeps their own DNS through two CNAMEs (RFC 8461 §8.2), certificate and all', async () => {
    expect((await panel.api('POST', '/api/domains', { domain: CUSTOMER })).status).toBe(201);
    const added = (await panel.api<DomainView>('GET', `/api/domains/${CUSTOMER}`)).body;
    expect(added.records.filter((record) => record.type === 'CNAME').map((record) => record.value)).toEqual([
      `${CUSTOMER}.${DELEGATION}`,
      `mta-sts-host.${DELEGATION}`,
    ]);
    const enabling = await panel.api<{ message?: string }>('POST', `/api/domains/${CUSTOMER}/enable`);
    expect(enabling.body.message ?? '').toBe('');
    expect(enabling.status).toBe(202);
    // Pebble validated HTTP-01 through the customer's CNAME to the operator's host name.
    const enabled = await panel.settle(CUSTOMER);
    expect([enabled.state, enabled.error]).toEqual(['active', null]);
    const delegated = `${CUSTOMER}.${DELEGATION}`;
    await waitFor('both servers to answer the delegated id', async () =>
      (await bothServers(delegated, 'TXT')).every((values) => values[0] === `v=STSv1; id=${enabled.servedPolicyId}`),
    );
    const query = await lab.mtaStsQuery(CUSTOMER);
    expect(query).toContain('VALID');
    expect(query).toContain(enabled.servedPolicyId!);
    // A new id needs the customer no more.
    const changed = await panel.api<{ domain: DomainView }>('POST', `/api/domains/${CUSTOMER}/max-age`, {
      maxAge: 86_400,
    });
    await waitFor('the new delegated id on both servers', async () =>
      (await bothServers(delegated, 'TXT')).every(
        (values) => values[0] === `v=STSv1; id=${changed.body.domain.servedPolicyId}`,
      ),
    );
    expect(await lab.mtaStsQuery(CUSTOMER)).toContain(changed.body.domain.servedPolicyId!);
    await panel.api('POST', `/api/domains/${CUSTOMER}/checks`);
    const checked = (await panel.api<DomainView>('GET', `/api/domains/${CUSTOMER}`)).body;
    expect(checked.checks.find((check) => check.check === 'policy-record')?.summary).toMatch(
      /, delegated to cust\.test\.sts\.pub\.test\.$/,
    );
  }, 120_000);

  it('publishes through PowerDNS’s API as well: Enable, a policy change and Remove now, with the sender following', async () => {
    const pdnsValues = async (name: string, type: string) =>
      (await execFileAsync('kdig', ['+short', `@${pdns!.address}`, '-p', String(pdns!.port), type, name])).stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.replace(/^"|"$/g, ''));
    expect((await panel.api('POST', '/api/domains', { domain: PDNS_ZONE })).status).toBe(201);
    await panel.api('POST', `/api/domains/${PDNS_ZONE}/enable`);
    const enabled = await panel.settle(PDNS_ZONE);
    expect([enabled.state, enabled.error]).toEqual(['active', null]);
    await waitFor(
      'PowerDNS to answer the id',
      async () => (await pdnsValues(`_mta-sts.${PDNS_ZONE}`, 'TXT'))[0] === `v=STSv1; id=${enabled.servedPolicyId}`,
    );
    expect(await lab.mtaStsQuery(PDNS_ZONE)).toContain(enabled.servedPolicyId!);
    const changed = await panel.api<{ domain: DomainView }>('POST', `/api/domains/${PDNS_ZONE}/max-age`, {
      maxAge: 86_400,
    });
    await waitFor(
      'PowerDNS to answer the new id',
      async () =>
        (await pdnsValues(`_mta-sts.${PDNS_ZONE}`, 'TXT'))[0] === `v=STSv1; id=${changed.body.domain.servedPolicyId}`,
    );
    const query = await lab.mtaStsQuery(PDNS_ZONE);
    expect(query).toContain('VALID');
    expect(query).toContain(changed.body.domain.servedPolicyId!);
    expect((await panel.api('POST', `/api/domains/${PDNS_ZONE}/disable`, { now: true })).status).toBe(200);
    expect(await pdnsValues(`_mta-sts.${PDNS_ZONE}`, 'TXT')).toEqual([]);
    expect(await pdnsValues(`mta-sts.${PDNS_ZONE}`, 'A')).toEqual([]);
  }, 120_000);
});
