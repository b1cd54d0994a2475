import 'reflect-metadata';

import { INestApplication } from '@nestjs/common';

import { DataSource, Repository } from 'typeorm';

import { MtaStsModuleOptions, PageRole } from '../../../src/mta-sts/mta-sts.options';
import { MtaStsCheckEntity, MtaStsDomainEntity } from '../../../src/mta-sts/persistence';
import { HttpRequest, HttpResponse, IssuedCertificate } from '../../../src/mta-sts/ports';
import { DomainsService } from '../../../src/mta-sts/services/domains.service';
import { ProvisioningService } from '../../../src/mta-sts/services/provisioning.service';
import { configurePanel } from '../../../src/panel/setup';
import { FakeCertificateAuthority, FakeDnsResolver, FakeWebServer, UnexpectedCalls, FakeSmtpProber } from './fakes';
import { createModuleApp, Fakes, issuing, SERVER_IPV4 } from './provisioning-app';
import { BundleServingHttpClient, FakeClock, makeCertificate } from './renewal-app';

/**
 * `BundleServingHttpClient` whose TLS answers say the chain verified, as if the test
 * certificates came from a publicly trusted CA: with it the certificate check passes and a
 * domain can reach the Active badge.
 */
export class TrustingHttpClient extends BundleServingHttpClient {
  async request(request: HttpRequest): Promise<HttpResponse> {
    const response = await super.request(request);
    return request.tls ? { ...response, tlsAuthorized: true } : response;
  }
}

/**
 * Fakes for several domains: nginx accepts the policy hosts of `certificates` plus
 * `extraHosts`, and the CA issues each host in `certificates` its own certificate.
 */
export function makePagesFakes(
  dataDir: string,
  certificates: ReadonlyMap<string, IssuedCertificate>,
  extraHosts: readonly string[] = [],
): Fakes {
  const unexpected: UnexpectedCalls = new UnexpectedCalls();
  const ca = new FakeCertificateAuthority(unexpected);
  ca.answer = async (host, responder) => {
    const certificate = certificates.get(host);
    if (!certificate) unexpected.fail(`CertificateAuthority.issue(${host}) without a test certificate`);
    return issuing(dataDir, certificate)(host, responder);
  };
  return {
    unexpected,
    dns: new FakeDnsResolver(unexpected),
    web: new FakeWebServer(unexpected, new Set([...certificates.keys(), ...extraHosts])),
    ca,
    http: new TrustingHttpClient(unexpected, dataDir),
    smtp: new FakeSmtpProber(),
  };
}

/**
 * Fakes for one domain ready to enable: its certificate, one MX host, the policy host at
 * this server, no `_mta-sts` record yet and the TLS-RPT record in place; nginx may reload.
 */
export function oneDomainFakes(dataDir: string, domain: string): Fakes {
  const host = `mta-sts.${domain}`;
  const fakes = makePagesFakes(dataDir, new Map([[host, makeCertificate(host, 90)]]));
  fakes.web.allowReload = true;
  fakes.dns.mx.set(domain, [{ exchange: 'mx1.example.com', priority: 10 }]);
  fakes.dns.addresses.set(host, { 4: [SERVER_IPV4], 6: [] });
  fakes.dns.txt.set(`_mta-sts.${domain}`, []);
  fakes.dns.txt.set(`_smtp._tls.${domain}`, [`v=TLSRPTv1; rua=mailto:tls-reports@${domain}`]);
  return fakes;
}

export interface PagesApp extends Fakes {
  readonly app: INestApplication;
  readonly dataDir: string;
  readonly clock: FakeClock;
  readonly domains: DomainsService;
  readonly provisioning: ProvisioningService;
  readonly domainRows: Repository<MtaStsDomainEntity>;
  readonly checkRows: Repository<MtaStsCheckEntity>;
}

/** The role a test asks for with the `x-role` header (`admin`, `viewer`, or none). */
export function roleFromHeader(request: unknown): PageRole | null {
  const header = (request as { headers: Record<string, string | string[] | undefined> }).headers['x-role'];
  return header === 'admin' || header === 'viewer' ? header : null;
}

/**
 * The real MtaStsModule with a real sqlite database, fake DNS/nginx/CA/HTTP ports and a
 * fake clock, its pages guarded by `roleFromHeader`, and the standalone panel's HTTP
 * hardening (`configurePanel`) applied before initialisation, as `main.ts` does.
 */
export async function createPagesApp(
  dataDir: string,
  fakes: Fakes,
  clock: FakeClock,
  options: Partial<MtaStsModuleOptions> = {},
): Promise<PagesApp> {
  const app = await createModuleApp(dataDir, fakes, {
    options: { pages: { resolveRole: roleFromHeader }, ...options },
    clock,
    beforeInit: configurePanel,
  });
  const dataSource = app.get(DataSource);
  return {
    ...fakes,
    app,
    dataDir,
    clock,
    domains: app.get(DomainsService),
    provisioning: app.get(ProvisioningService),
    domainRows: dataSource.getRepository(MtaStsDomainEntity),
    checkRows: dataSource.getRepository(MtaStsCheckEntity),
  };
}
