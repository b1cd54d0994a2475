import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeCertificate } from '../../../src/mta-sts/domain/certificate';
import {
  CertificateAuthority,
  DnsResolver,
  Http01Responder,
  HttpClient,
  HttpRequest,
  HttpResponse,
  IssueOptions,
  IssuedCertificate,
  MxRecord,
  PolicySite,
  RenewalInfo,
  SmtpProber,
  SmtpProbeResult,
  WebServer,
} from '../../../src/mta-sts/ports';

/**
 * Collects calls no test asked for. A fake throws when it gets one (the service under test
 * may swallow that into an error state), so each spec also asserts in `afterEach` that
 * this list is empty.
 */
export class UnexpectedCalls {
  readonly calls: string[] = [];

  fail(call: string): never {
    this.calls.push(call);
    throw new Error(`unexpected call: ${call}`);
  }
}

/** Answers only for names a test configured; any other look-up is unexpected. */
export class FakeDnsResolver extends DnsResolver {
  readonly mx = new Map<string, MxRecord[]>();
  readonly addresses = new Map<string, { 4: string[]; 6: string[] }>();
  /** TXT records by name; the readiness checks read `_mta-sts` and `_smtp._tls` after Enable. */
  readonly txt = new Map<string, string[]>();
  /** CNAME targets by name; a name not listed is no alias. */
  readonly cname = new Map<string, string>();
  readonly lookups: string[] = [];

  constructor(private readonly unexpected: UnexpectedCalls) {
    super();
  }

  async resolveMx(name: string): Promise<MxRecord[]> {
    this.lookups.push(`MX ${name}`);
    const records = this.mx.get(name);
    if (!records) this.unexpected.fail(`DnsResolver.resolveMx(${name})`);
    return records.map((record) => ({ ...record }));
  }

  async resolveAddresses(name: string, family: 4 | 6): Promise<string[]> {
    this.lookups.push(`${family === 4 ? 'A' : 'AAAA'} ${name}`);
    const entry = this.addresses.get(name);
    if (!entry) this.unexpected.fail(`DnsResolver.resolveAddresses(${name}, ${family})`);
    return [...entry[family]];
  }

  async resolveTxt(name: string): Promise<string[]> {
    this.lookups.push(`TXT ${name}`);
    const records = this.txt.get(name);
    if (!records) this.unexpected.fail(`DnsResolver.resolveTxt(${name})`);
    return [...records];
  }

  async resolveCname(name: string): Promise<string[]> {
    this.lookups.push(`CNAME ${name}`);
    const target = this.cname.get(name);
    return target ? [target] : [];
  }

  /** PTR names by address; an address not listed has none. */
  readonly ptr = new Map<string, string[]>();

  async resolvePtr(address: string): Promise<string[]> {
    this.lookups.push(`PTR ${address}`);
    return [...(this.ptr.get(address) ?? [])];
  }
}

/**
 * Records every site change; `nextApplyError` makes the next `applySite` fail once.
 * `reload` is unexpected unless a test sets `allowReload`; then every call is counted in
 * `reloads` and `nextReloadError` makes the next one fail once.
 */
export class FakeWebServer extends WebServer {
  readonly applied: PolicySite[] = [];
  readonly removed: string[] = [];
  nextApplyError: Error | undefined;
  allowReload = false;
  reloads = 0;
  nextReloadError: Error | undefined;

  constructor(
    private readonly unexpected: UnexpectedCalls,
    readonly allowedHosts: Set<string>,
  ) {
    super();
  }

  async applySite(site: PolicySite): Promise<void> {
    if (!this.allowedHosts.has(site.host)) this.unexpected.fail(`WebServer.applySite(${site.host})`);
    this.applied.push(site);
    const error = this.nextApplyError;
    this.nextApplyError = undefined;
    if (error) throw error;
  }

  /** Certificate replacements reload nginx; unexpected unless a test allows it. */
  async reload(): Promise<void> {
    if (!this.allowReload) this.unexpected.fail('WebServer.reload()');
    this.reloads++;
    const error = this.nextReloadError;
    this.nextReloadError = undefined;
    if (error) throw error;
  }

  /** Start-up asks nginx to load what is on disk; counted, never unexpected. */
  resyncs = 0;

  async resync(): Promise<void> {
    this.resyncs++;
  }

  /** What `configurationProblem` answers; a test sets it to make nginx -t fail. */
  configurationError: string | undefined;

  async configurationProblem(): Promise<string | undefined> {
    return this.configurationError;
  }

  async removeSite(host: string): Promise<void> {
    if (!this.allowedHosts.has(host)) this.unexpected.fail(`WebServer.removeSite(${host})`);
    this.removed.push(host);
  }

  get calls(): number {
    return this.applied.length + this.removed.length;
  }
}

export type IssueAnswer = (host: string, responder: Http01Responder) => Promise<IssuedCertificate>;

/**
 * `answer` decides what `issue` does; without one, any order is unexpected. `issueOptions`
 * records the options of every order. By default the CA offers no ACME Renewal Information
 * (like Pebble 2.4); a test may set `renewalWindow` to answer ARI requests.
 */
export class FakeCertificateAuthority extends CertificateAuthority {
  readonly directoryUrl = 'https://ca.integration.test/directory';
  readonly issued: string[] = [];
  readonly issueOptions: (IssueOptions | undefined)[] = [];
  /** The certificate ids `renewalInfo` was asked about. */
  readonly renewalInfoRequests: string[] = [];
  answer: IssueAnswer | undefined;
  renewalWindow: ((certificateId: string) => RenewalInfo | undefined) | undefined;

  constructor(private readonly unexpected: UnexpectedCalls) {
    super();
  }

  async issue(host: string, responder: Http01Responder, options?: IssueOptions): Promise<IssuedCertificate> {
    this.issued.push(host);
    this.issueOptions.push(options);
    if (!this.answer) this.unexpected.fail(`CertificateAuthority.issue(${host})`);
    return this.answer(host, responder);
  }

  async renewalInfo(certificateId: string): Promise<RenewalInfo | undefined> {
    this.renewalInfoRequests.push(certificateId);
    return this.renewalWindow?.(certificateId);
  }
}

/**
 * Plays nginx for the module's own checks: the plain HTTP probe under
 * `/.well-known/acme-challenge/` (200, the token as body) and the HTTPS fetch of the
 * policy (the policy file as it is on disk, presented with `certificatePem`).
 */
export class FakeHttpClient extends HttpClient {
  readonly requests: HttpRequest[] = [];

  constructor(
    private readonly unexpected: UnexpectedCalls,
    private readonly dataDir: string,
    private readonly serverAddress: string,
    private readonly certificatePem: string,
  ) {
    super();
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    const { host, address, port, path, tls } = request;
    const call = `HttpClient.request(${tls ? 'https' : 'http'}://${host}:${port}${path} via ${address})`;
    if (address !== this.serverAddress || !host.startsWith('mta-sts.')) this.unexpected.fail(call);
    if (!tls && port === 80 && path.startsWith('/.well-known/acme-challenge/')) {
      const token = path.split('/').pop() ?? '';
      return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: token, truncated: false };
    }
    if (tls && port === 443 && path === '/.well-known/mta-sts.txt') {
      const domain = host.slice('mta-sts.'.length);
      const body = readFileSync(join(this.dataDir, 'policies', `${domain}.txt`), 'utf8');
      return {
        status: 200,
        headers: { 'content-type': 'text/plain' },
        body,
        truncated: false,
        peerCertificate: this.certificatePem ? describeCertificate(this.certificatePem) : undefined,
      };
    }
    this.unexpected.fail(call);
  }
}

/** Polls `condition` every few milliseconds until it holds, failing after `timeoutMs`. */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The STARTTLS probe: every MX host passes unless a test sets its result in `results`
 * (the real prober is tested against real SMTP servers in smtp-prober.spec.ts).
 */
export class FakeSmtpProber extends SmtpProber {
  readonly results = new Map<string, SmtpProbeResult>();
  readonly probed: string[] = [];

  async probe(host: string): Promise<SmtpProbeResult> {
    this.probed.push(host);
    return (
      this.results.get(host) ?? {
        host,
        ok: true,
        summary: `${host} (192.0.2.25) offers STARTTLS with TLSv1.3 and a valid certificate until 2099-01-01`,
        addresses: [
          {
            address: '192.0.2.25',
            ok: true,
            tlsVersion: 'TLSv1.3',
            certificateNotAfter: new Date('2099-01-01T00:00:00Z'),
            certificateNames: [host],
          },
        ],
      }
    );
  }

  /** Makes `host` fail the probe with `summary`. */
  fail(host: string, summary: string): void {
    this.results.set(host, {
      host,
      ok: false,
      summary,
      addresses: [{ address: '192.0.2.25', ok: false, problem: summary }],
    });
  }
}
