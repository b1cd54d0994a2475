import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MtaStsDomainEntity } from '../../src/mta-sts/persistence';
import { DnsPublishing } from '../../src/mta-sts/services/dns-publishing';
import { DomainsService } from '../../src/mta-sts/services/domains.service';
import { PolicyService } from '../../src/mta-sts/services/policy.service';
import { ProvisioningService } from '../../src/mta-sts/services/provisioning.service';
import { RetirementService } from '../../src/mta-sts/services/retirement.service';
import { PowerDns } from '../support/authoritative-dns';
import { execFileAsync } from '../support/processes';
import { oneDomainFakes } from './helpers/pages-app';
import { SERVER_IPV4, createModuleApp } from './helpers/provisioning-app';

const ZONE = 'example.test';

/** DNS publishing through PowerDNS Authoritative's HTTP API, against a real pdns_server. */
describe('Publishing the DNS records through PowerDNS’s API', () => {
  let pdns: PowerDns;
  let dataDir: string;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    pdns = await PowerDns.start(ZONE);
  });
  afterAll(() => pdns?.stop());
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-powerdns-'));
    app = undefined;
  });
  afterEach(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const values = async (name: string, type: string) =>
    (await execFileAsync('kdig', ['+tcp', '+short', `@${pdns.address}`, '-p', String(pdns.port), type, name])).stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.replace(/^"|"$/g, ''));

  async function start(apiKey = pdns.apiKey) {
    app = await createModuleApp(dataDir, oneDomainFakes(dataDir, ZONE), {
      options: {
        dnsPublishing: {
          zones: [
            { kind: 'powerdns', zone: ZONE, apiUrl: pdns.apiUrl, apiKey, dnsServer: `${pdns.address}:${pdns.port}` },
          ],
          authoritativePort: pdns.port,
          convergenceTimeoutMs: 5_000,
        },
      },
    });
    const ctx = {
      publishing: app.get(DnsPublishing),
      domains: app.get(DomainsService),
      provisioning: app.get(ProvisioningService),
      policies: app.get(PolicyService),
      retirement: app.get(RetirementService),
      rows: app.get(DataSource).getRepository(MtaStsDomainEntity),
    };
    await ctx.domains.add(ZONE, 'alice');
    await ctx.provisioning.enable(ZONE, 'alice');
    await ctx.provisioning.settled(ZONE);
    await ctx.publishing.idle();
    return ctx;
  }

  it('publishes on Enable and on a policy change, and withdraws on Remove now', async () => {
    const ctx = await start();
    let domain = await ctx.rows.findOneByOrFail({ name: ZONE });
    expect(await values(`_mta-sts.${ZONE}`, 'TXT')).toEqual([`v=STSv1; id=${domain.servedPolicyId}`]);
    expect(await values(`mta-sts.${ZONE}`, 'A')).toEqual([SERVER_IPV4]);
    expect(domain.policyVisibleAt).not.toBeNull();
    await ctx.policies.setMode(ZONE, 'testing', 'alice');
    await ctx.policies.setMaxAge(ZONE, 86_400, 'alice');
    await ctx.publishing.idle();
    domain = await ctx.rows.findOneByOrFail({ name: ZONE });
    expect(await values(`_mta-sts.${ZONE}`, 'TXT')).toEqual([`v=STSv1; id=${domain.servedPolicyId}`]);
    expect(domain.state).toBe('active');
    await ctx.retirement.removeNow(ZONE, 'alice');
    expect(await values(`_mta-sts.${ZONE}`, 'TXT')).toEqual([]);
    expect(await values(`mta-sts.${ZONE}`, 'A')).toEqual([]);
    expect((await values(`_smtp._tls.${ZONE}`, 'TXT'))[0]).toMatch(/^v=TLSRPTv1; rua=/);
  });

  it('says PowerDNS refused the API key, records it with the next attempt, and never shows the key', async () => {
    const ctx = await start('wrong-key');
    const domain = await ctx.rows.findOneByOrFail({ name: ZONE });
    expect(domain.state).toBe('active');
    expect(domain.dnsLastError).toBe(
      `PowerDNS's API at ${pdns.apiUrl} refused the API key: check it against api-key in pdns.conf. (HTTP 401)`,
    );
    expect(domain.dnsNextAttemptAt).not.toBeNull();
    const preview = await ctx.publishing.preview(ZONE);
    expect(JSON.stringify(preview)).not.toContain('wrong-key');
    expect(preview.via).toBe(`PowerDNS's API at ${pdns.apiUrl}`);
  });
});
