import 'reflect-metadata';

import { MtaStsModuleOptions, PageRole } from '../../../src/mta-sts/mta-sts.options';
import { HttpRequest, HttpResponse, IssuedCertificate } from '../../../src/mta-sts/ports';
import { configurePanel } from '../../../src/panel/setup';
import { FakeCertificateAuthority, FakeDnsResolver, FakeWebServer, UnexpectedCalls, FakeSmtpProber } from './fakes';
import { Fakes, issuing, ModuleAppOptions, SERVER_IPV4 } from './provisioning-app';
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

/** The role a test asks for with the `x-role` header (`admin`, `viewer`, or none). */
export function roleFromHeader(request: unknown): PageRole | null {
  const header = (request as { headers: Record<string, string | string[] | undefined> }).headers['x-role'];
  return header === 'admin' || header === 'viewer' ? header : null;
}

/** The options of a pages spec: pages guarded by `roleFromHeader`, and the standalone panel's HTTP hardening. */
export function pagesSetup(clock: FakeClock, options: Partial<MtaStsModuleOptions> = {}): ModuleAppOptions {
  return { options: { pages: { resolveRole: roleFromHeader }, ...options }, clock, beforeInit: configurePanel };
}
