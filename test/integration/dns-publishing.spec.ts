import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConflictError } from '../../src/mta-sts/domain/errors';
import { MtaStsActionEntity, MtaStsDomainEntity } from '../../src/mta-sts/persistence';
import { ScheduledJobs } from '../../src/mta-sts/jobs/scheduled-jobs';
import { DnsPublishing } from '../../src/mta-sts/services/dns-publishing';
import { DomainLocks } from '../../src/mta-sts/services/domain-locks';
import { DomainsService } from '../../src/mta-sts/services/domains.service';
import { PolicyService } from '../../src/mta-sts/services/policy.service';
import { ProvisioningService } from '../../src/mta-sts/services/provisioning.service';
import { RetirementService } from '../../src/mta-sts/services/retirement.service';
import { RetirementSweep } from '../../src/mta-sts/services/retirement-sweep';
import { UpdateServer } from '../support/authoritative-dns';
import { freePort } from '../support/processes';
import { oneDomainFakes, pagesSetup } from './helpers/pages-app';
import { Browser, mainOf, textOf } from './helpers/html';
import { FakeClock } from './helpers/renewal-app';
import { flashOf } from './pages/fixtures';
import { Fakes, SERVER_IPV4, createModuleApp } from './helpers/provisioning-app';

const ZONE = 'example.test';
// BIND listens only on an interface's address (127.0.0.1); Knot on any of 127/8.
const PRIMARY = '127.0.0.2';
const SECONDARY = '127.0.0.1';

/**
 * DNS publishing through the real module into a real zone: Knot DNS as the primary that
 * takes the signed updates, BIND as a secondary that follows by NOTIFY and IXFR. The id
 * counts as visible only once both answer it.
 */
describe('Publishing the DNS records into a Knot DNS zone with a BIND secondary', () => {
  let port: number;
  let primary: UpdateServer;
  let secondary: UpdateServer;
  let dataDir: string;
  let fakes: Fakes;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    port = await freePort();
    const nameservers = { [`ns1.${ZONE}`]: PRIMARY, [`ns2.${ZONE}`]: SECONDARY };
    primary = await UpdateServer.start('knot', ZONE, {
      address: PRIMARY,
      port,
      nameservers,
      notify: [{ address: SECONDARY, port }],
      records: [
        '_mta-sts.other IN CNAME policy.elsewhere.example.',
        '_mta-sts.twice IN TXT "v=STSv1; id=a"',
        '_mta-sts.twice IN TXT "v=STSv1; id=b"',
      ],
    });
    secondary = await UpdateServer.start('bind', ZONE, { address: SECONDARY, port, nameservers, secondaryOf: primary });
  });
  afterAll(async () => {
    await secondary?.stop();
    await primary?.stop();
  });

  /** Deletes the records with Knot's own update client, as an admin editing the zone would. */
  const removeByHand = () =>
    execFileSync('knsupdate', ['-y', `hmac-sha256:${primary.keyName}:${primary.secret}`], {
      input: [
        `server ${PRIMARY} ${port}`,
        `zone ${ZONE}.`,
        `del _mta-sts.${ZONE}. TXT`,
        `del mta-sts.${ZONE}. A`,
        `del _smtp._tls.${ZONE}. TXT`,
        'send',
        '',
      ].join('\n'),
    });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-dns-publishing-'));
    fakes = oneDomainFakes(dataDir, ZONE);
    app = undefined;
  });
  afterEach(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
    // Each test starts from the zone as its file had it.
    removeByHand();
  });

  async function start(secret = primary.secret, pages = false, delegation?: { zone: string }) {
    const dnsPublishing = {
      ...(delegation && { delegation }),
      zones: [
        {
          kind: 'rfc2136' as const,
          zone: ZONE,
          server: `${PRIMARY}:${port}`,
          keyName: primary.keyName,
          keySecret: secret,
        },
      ],
      authoritativePort: port,
      convergenceTimeoutMs: 10_000,
    };
    app = await createModuleApp(
      dataDir,
      fakes,
      // The clock stays real: TSIG signatures carry the time, and servers allow 5 minutes.
      pages ? pagesSetup(new FakeClock(new Date()), { dnsPublishing }) : { options: { dnsPublishing } },
    );
    return {
      publishing: app.get(DnsPublishing),
      domains: app.get(DomainsService),
      provisioning: app.get(ProvisioningService),
      policies: app.get(PolicyService),
      locks: app.get(DomainLocks),
      rows: app.get(DataSource).getRepository(MtaStsDomainEntity),
      trail: app.get(DataSource).getRepository(MtaStsActionEntity),
    };
  }

  async function enabled(ctx: Awaited<ReturnType<typeof start>>) {
    await ctx.domains.add(ZONE, 'alice');
    await ctx.provisioning.enable(ZONE, 'alice');
    await ctx.provisioning.settled(ZONE);
    return ctx.rows.findOneByOrFail({ name: ZONE });
  }

  it('Enable publishes the address before its DNS step and the id once the policy is served, visible when every server answers it', async () => {
    const ctx = await start();
    const domain = await enabled(ctx);
    await ctx.publishing.idle();
    for (const server of [primary, secondary]) {
      expect(await server.values(`_mta-sts.${ZONE}`, 'TXT')).toEqual([`v=STSv1; id=${domain.servedPolicyId}`]);
      expect(await server.values(`mta-sts.${ZONE}`, 'A')).toEqual([SERVER_IPV4]);
      expect((await server.values(`_smtp._tls.${ZONE}`, 'TXT'))[0]).toMatch(/^v=TLSRPTv1; rua=mailto:/);
    }
    const after = await ctx.rows.findOneByOrFail({ name: ZONE });
    expect(after).toMatchObject({ state: 'active', dnsFailures: 0, dnsLastError: null });
    expect(after.policyVisibleAt).not.toBeNull();
    const trail = await ctx.trail.find({ where: { domain: ZONE }, order: { id: 'ASC' } });
    const publishes = trail.filter((entry) => entry.action === 'dns-publish').map((entry) => entry.detail);
    // First the host's address (and TLS-RPT), during Enable; then the id, once served.
    expect(publishes[0]).toContain(`add mta-sts.${ZONE} A ${SERVER_IPV4}`);
    expect(publishes[0]).not.toContain('v=STSv1');
    expect(publishes[1]).toContain(`add _mta-sts.${ZONE} TXT v=STSv1; id=${domain.servedPolicyId}`);
    expect(trail.find((entry) => entry.action === 'id-visible')?.detail).toContain(
      `ns1.${ZONE} ${PRIMARY}, ns2.${ZONE} ${SECONDARY}`,
    );
  });

  it('shows what the button would write without writing it, then writes only that', async () => {
    const ctx = await start();
    await enabled(ctx);
    await ctx.publishing.idle();
    const live = await ctx.publishing.preview(ZONE);
    expect(live.steps.every((step) => step.kind === 'keep')).toBe(true);
    removeByHand();
    const preview = await ctx.publishing.preview(ZONE);
    expect(preview).toMatchObject({
      zone: ZONE,
      via: `RFC 2136 updates to ${PRIMARY}:${port} signed with TSIG key ${primary.keyName}`,
      refusals: [],
    });
    expect(preview.steps.map((step) => `${step.kind} ${step.name} ${step.type}`)).toEqual([
      `add _mta-sts.${ZONE} TXT`,
      `add mta-sts.${ZONE} A`,
      `add _smtp._tls.${ZONE} TXT`,
    ]);
    expect(await primary.values(`_mta-sts.${ZONE}`, 'TXT')).toEqual([]);
    expect(JSON.stringify(preview)).not.toContain(primary.secret);
    const result = await ctx.publishing.publish(ZONE, 'alice');
    expect(result.written).toHaveLength(3);
    expect(result.waitingFor).toEqual([]);
    expect(await secondary.values(`mta-sts.${ZONE}`, 'A')).toEqual([SERVER_IPV4]);
    const again = await ctx.publishing.publish(ZONE, 'alice');
    expect(again.written).toEqual([]);
    expect(again.note).toBe('Every record is live already; nothing was written.');
  });

  it('publishes a changed policy’s new id by itself, on every server, replacing only its own value', async () => {
    const ctx = await start();
    await enabled(ctx);
    await ctx.publishing.idle();
    const change = await ctx.policies.setMaxAge(ZONE, 86_400, 'alice');
    const newId = change.domain.servedPolicyId!;
    expect(change.note).toContain('Published 1 record through RFC 2136 updates');
    await ctx.publishing.idle();
    for (const server of [primary, secondary]) {
      expect(await server.values(`_mta-sts.${ZONE}`, 'TXT')).toEqual([`v=STSv1; id=${newId}`]);
    }
    expect(await ctx.rows.findOneByOrFail({ name: ZONE })).toMatchObject({ state: 'active' });
  });

  it('refuses where a name holds what the panel did not write, and writes nothing', async () => {
    const ctx = await start();
    for (const name of [`other.${ZONE}`, `twice.${ZONE}`]) {
      fakes.dns.mx.set(name, [{ exchange: `mx.${name}`, priority: 10 }]);
      await ctx.domains.add(name, 'alice');
      await ctx.rows.update(
        { name },
        { state: 'active', servedPolicyId: '20261126T120000n1', policyId: '20261126T120000n1' },
      );
    }
    await expect(ctx.publishing.publish(`other.${ZONE}`, 'alice')).rejects.toThrow(
      `_mta-sts.other.${ZONE} is a CNAME to policy.elsewhere.example`,
    );
    const twice = await ctx.publishing.publish(`twice.${ZONE}`, 'alice').catch((error: unknown) => error);
    expect(twice).toBeInstanceOf(ConflictError);
    expect((twice as Error).message).toContain('holds 2 v=STSv1 records');
    expect(await primary.values(`mta-sts.twice.${ZONE}`, 'A')).toEqual([]);
    expect(await primary.values(`_mta-sts.twice.${ZONE}`, 'TXT')).toEqual(['v=STSv1; id=a', 'v=STSv1; id=b']);
  });

  it('names a wrong key, changes nothing, and leaves a domain outside every zone to the admin', async () => {
    const ctx = await start(Buffer.alloc(32, 7).toString('base64'));
    // Enable goes on (the fake resolver sees the address); the card shows the failure and its next attempt.
    const domain = await enabled(ctx);
    expect(domain.state).toBe('active');
    expect(domain.dnsFailures).toBeGreaterThan(0);
    expect(domain.dnsLastError).toContain('(BADSIG)');
    expect(domain.dnsNextAttemptAt).not.toBeNull();
    await expect(ctx.publishing.publish(ZONE, 'alice')).rejects.toMatchObject({
      code: 'BADSIG',
      message: expect.stringContaining(`rejected the signature made with key ${primary.keyName}`),
    });
    expect(await primary.values(`mta-sts.${ZONE}`, 'A')).toEqual([]);
    fakes.dns.mx.set('elsewhere.example', [{ exchange: 'mx.elsewhere.example', priority: 10 }]);
    await ctx.domains.add('elsewhere.example', 'alice');
    expect(await ctx.publishing.preview('elsewhere.example')).toMatchObject({ zone: null, steps: [] });
    await expect(ctx.publishing.publish('elsewhere.example', 'alice')).rejects.toThrow(
      'is in no zone the panel may write',
    );
  });

  it('takes the policy out of DNS when the host goes, keeping TLS-RPT and what others wrote', async () => {
    const ctx = await start();
    await enabled(ctx);
    await ctx.publishing.idle();
    const entity = await ctx.rows.findOneByOrFail({ name: ZONE });
    await ctx.locks.run(ZONE, (held) => ctx.publishing.withdrawLocked(held, entity, 'alice'));
    expect(await primary.values(`_mta-sts.${ZONE}`, 'TXT')).toEqual([]);
    expect(await primary.values(`mta-sts.${ZONE}`, 'A')).toEqual([]);
    expect((await primary.values(`_smtp._tls.${ZONE}`, 'TXT'))[0]).toMatch(/^v=TLSRPTv1; rua=/);
  });

  it('shows the zone on the card, the plan on the confirmation page, and writes it from the button', async () => {
    const ctx = await start(primary.secret, true);
    await enabled(ctx);
    await ctx.publishing.idle();
    removeByHand();
    const admin = new Browser(app!.getHttpServer(), 'admin');
    const card = textOf(mainOf((await admin.get(`/mta-sts/domains/${ZONE}`)).text));
    expect(card).toContain(`The panel writes these records into the zone ${ZONE}`);
    expect(card).toContain('last written');
    const confirm = await admin.get(`/mta-sts/domains/${ZONE}/confirm/publish-dns`);
    const rows = mainOf(confirm.text);
    expect(textOf(rows).replace(/ ,/g, ',')).toContain(
      `Zone ${ZONE}, written with RFC 2136 updates to ${PRIMARY}:${port} signed with TSIG key ${primary.keyName}.`,
    );
    expect(textOf(rows)).toContain(`add _mta-sts.${ZONE} TXT v=STSv1; id=`);
    expect(confirm.text).not.toContain(primary.secret);
    // Showing the plan wrote nothing.
    expect(await primary.values(`mta-sts.${ZONE}`, 'A')).toEqual([]);
    const posted = await admin.post(`/mta-sts/domains/${ZONE}/publish-dns`, { confirm: 'yes' });
    const after = await admin.get(posted.location!);
    expect(flashOf(after.text)).toBe(
      'success: Published 3 records through RFC 2136 updates to ' +
        `${PRIMARY}:${port} signed with TSIG key ${primary.keyName}.`,
    );
    expect(await secondary.values(`mta-sts.${ZONE}`, 'A')).toEqual([SERVER_IPV4]);
  });

  it('says on the card what the DNS server answered and when the next attempt is', async () => {
    const ctx = await start(Buffer.alloc(32, 7).toString('base64'), true);
    await enabled(ctx);
    const admin = new Browser(app!.getHttpServer(), 'admin');
    const card = textOf(mainOf((await admin.get(`/mta-sts/domains/${ZONE}`)).text));
    expect(card).toMatch(
      new RegExp(
        `Writing the records failed: The DNS server at ${PRIMARY.replace(/\./g, '\\.')}:${port} rejected the signature made with key ${primary.keyName}: the secret differs from the server's\\. \\(BADSIG\\) The next attempt is at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\.`,
      ),
    );
  });
  it('writes again, at the next checks, a record deleted by hand; after a failure, not before the backoff has passed', async () => {
    const ctx = await start();
    const domain = await enabled(ctx);
    await ctx.publishing.idle();
    removeByHand();
    const jobs = app!.get(ScheduledJobs);
    await jobs.runChecks();
    await ctx.publishing.idle();
    expect(await primary.values(`_mta-sts.${ZONE}`, 'TXT')).toEqual([`v=STSv1; id=${domain.servedPolicyId}`]);
    expect(await primary.values(`mta-sts.${ZONE}`, 'A')).toEqual([SERVER_IPV4]);
    // A failure an hour from its next attempt: the checks leave the zone alone meanwhile.
    removeByHand();
    await ctx.rows.update(
      { name: ZONE },
      { dnsFailures: 4, dnsLastError: 'REFUSED', dnsNextAttemptAt: new Date(Date.now() + 3_600_000) },
    );
    await jobs.runChecks();
    await ctx.publishing.idle();
    expect(await primary.values(`mta-sts.${ZONE}`, 'A')).toEqual([]);
  });
  it('hosts a domain in the operator’s zone through two CNAMEs (RFC 8461 §8.2), and keeps its id there', async () => {
    const customer = 'customer.example';
    const delegated = `${customer}.sts.${ZONE}`;
    const hostName = `mta-sts-host.sts.${ZONE}`;
    fakes = oneDomainFakes(dataDir, customer);
    // The customer published the two CNAMEs once.
    fakes.dns.cname.set(`_mta-sts.${customer}`, delegated);
    fakes.dns.cname.set(`mta-sts.${customer}`, hostName);
    const ctx = await start(primary.secret, false, { zone: `sts.${ZONE}` });
    await ctx.domains.add(customer, 'alice');
    const added = await ctx.domains.get(customer);
    expect(added.records.map((record) => `${record.name} ${record.type} ${record.value}`)).toEqual([
      `_mta-sts.${customer} CNAME ${delegated}`,
      `mta-sts.${customer} CNAME ${hostName}`,
      `_smtp._tls.${customer} TXT v=TLSRPTv1; rua=mailto:tls-reports@${customer}`,
    ]);
    expect(added.dnsPublishing).toMatchObject({ zone: `sts.${ZONE}`, delegated: true });
    await ctx.provisioning.enable(customer, 'alice');
    await ctx.provisioning.settled(customer);
    await ctx.publishing.idle();
    const domain = await ctx.rows.findOneByOrFail({ name: customer });
    expect([domain.state, domain.errorStep, domain.errorMessage]).toEqual(['active', null, null]);
    for (const server of [primary, secondary]) {
      expect(await server.values(delegated, 'TXT')).toEqual([`v=STSv1; id=${domain.servedPolicyId}`]);
      expect(await server.values(hostName, 'A')).toEqual([SERVER_IPV4]);
    }
    expect(domain.policyVisibleAt).not.toBeNull();
    // The checks say where the records live; the card shows the CNAMEs as live.
    const view = await ctx.domains.get(customer);
    expect(view.checks.find((check) => check.check === 'dns')?.summary).toBe(
      `mta-sts.${customer} points at this server, delegated to ${hostName}.`,
    );
    // A policy change needs the customer no more: the new id goes into the operator's zone.
    const change = await ctx.policies.setMaxAge(customer, 86_400, 'alice');
    await ctx.publishing.idle();
    expect(await secondary.values(delegated, 'TXT')).toEqual([`v=STSv1; id=${change.domain.servedPolicyId}`]);
    // Remove now takes the domain's record out; the shared host name stays for the others.
    await app!.get(RetirementService).removeNow(customer, 'alice');
    expect(await primary.values(delegated, 'TXT')).toEqual([]);
    expect(await primary.values(hostName, 'A')).toEqual([SERVER_IPV4]);
    execFileSync('knsupdate', ['-y', `hmac-sha256:${primary.keyName}:${primary.secret}`], {
      input: [`server ${PRIMARY} ${port}`, `zone ${ZONE}.`, `del ${hostName}. A`, 'send', ''].join('\n'),
    });
  });
  it('publishes the mode none id on Retire, and withdraws the records when the retirement ends', async () => {
    const ctx = await start();
    await enabled(ctx);
    await ctx.publishing.idle();
    const retiring = await app!.get(RetirementService).retire(ZONE, 'alice');
    await ctx.publishing.idle();
    const id = retiring.domain.servedPolicyId!;
    expect(await secondary.values(`_mta-sts.${ZONE}`, 'TXT')).toEqual([`v=STSv1; id=${id}`]);
    // The wait for every cached policy is over.
    await ctx.rows.update({ name: ZONE }, { retireUntil: new Date(Date.now() - 1_000) });
    expect(await app!.get(RetirementSweep).finishDue()).toBe(1);
    expect(await primary.values(`_mta-sts.${ZONE}`, 'TXT')).toEqual([]);
    expect(await primary.values(`mta-sts.${ZONE}`, 'A')).toEqual([]);
    expect((await primary.values(`_smtp._tls.${ZONE}`, 'TXT'))[0]).toMatch(/^v=TLSRPTv1; rua=/);
    expect((await ctx.trail.findOneByOrFail({ domain: ZONE, action: 'dns-withdraw' })).detail).toContain(
      `remove _mta-sts.${ZONE} TXT v=STSv1; id=${id}`,
    );
  });
});
