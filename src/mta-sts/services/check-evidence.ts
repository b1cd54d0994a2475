import { Inject, Injectable } from '@nestjs/common';
import {
  CheckVerdict,
  Lookup,
  POLICY_FETCH_TIMEOUT_MS,
  POLICY_MAX_BYTES,
  PolicyExchange,
  PresentedCertificate,
  checkAddresses,
  checkCertificate,
  checkMxCoverage,
  checkMxTls,
  checkPolicyEndpoint,
  checkPolicyRecord,
  checkTlsRpt,
} from '../domain/checks';
import { tlsRptRua } from '../domain/dns-records';
import { DomainName } from '../domain/hostname';
import { mxPatternsFromExchanges } from '../domain/policy';
import { parsePolicy } from '../domain/policy-parser';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { Clock } from '../ports/clock.port';
import { DnsResolver } from '../ports/dns-resolver.port';
import { HttpClient, HttpResponse } from '../ports/http-client.port';
import { SmtpProber, SmtpProbeResult } from '../ports/smtp-prober.port';
import { PolicyHost } from './policy-host';
import { listenPort } from './preflight.service';

/** MX hosts probed per domain; more is a misconfiguration the probe need not follow. */
const MAX_PROBED_MX = 10;

/** Above this many cached probe results, expired ones are dropped. */
const MAX_CACHED_PROBES = 10_000;

async function settle<T>(work: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
}

/**
 * What a sender would see of a domain, gathered from the outside (DNS, the policy host
 * over HTTPS, the MX hosts' STARTTLS) and judged by the pure checks in `domain/`. It
 * observes and reports; storing and what follows from the results are `ChecksService`'s.
 */
/** A policy host's addresses fetched from in one check (a node each). */
const MAX_ADDRESSES_FETCHED = 8;

@Injectable()
export class CheckEvidence {
  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(DnsResolver) private readonly dns: DnsResolver,
    @Inject(HttpClient) private readonly http: HttpClient,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(SmtpProber) private readonly prober: SmtpProber,
    private readonly host: PolicyHost,
  ) {}

  /** Every check of the domain, and its live MX set as `mx:` patterns when DNS gave a usable one. */
  async evaluate(entity: MtaStsDomainEntity, fresh: boolean): Promise<{ verdicts: CheckVerdict[]; liveMx?: string[] }> {
    const domain = DomainName.fromValidated(entity.name);
    const [a, aaaa, stsTxt, rptTxt, mx, servedText, expected] = await Promise.all([
      settle(() => this.dns.resolveAddresses(domain.policyHost, 4)),
      settle(() => this.dns.resolveAddresses(domain.policyHost, 6)),
      settle(() => this.dns.resolveTxt(domain.policyRecordName)),
      settle(() => this.dns.resolveTxt(domain.tlsRptRecordName)),
      settle(async () => (await this.dns.resolveMx(domain.ascii)).map((record) => record.exchange.replace(/\.$/, ''))),
      this.host.readPolicy(domain.ascii),
      this.host.addresses(),
    ]);
    // Delegated hosting (RFC 8461 §8.2): whether the two names are CNAMEs, said by the checks.
    const delegating = this.options.dnsPublishing.delegation !== undefined;
    const [stsCname, hostCname] = delegating
      ? await Promise.all([
          settle(() => this.dns.resolveCname(domain.policyRecordName)),
          settle(() => this.dns.resolveCname(domain.policyHost)),
        ])
      : [undefined, undefined];
    const probing = this.options.checks.smtpProbe.enabled;
    const [fetched, probes] = await Promise.all([
      this.fetchPolicy(domain, a, aaaa, servedText),
      probing && mx.ok ? this.probeAll(mx.value, fresh) : Promise.resolve([]),
    ]);
    const served = servedText ? parsePolicy(servedText).policy : undefined;
    const mode = served?.mode ?? entity.mode;
    let liveMx: string[] | undefined;
    try {
      liveMx = mx.ok ? mxPatternsFromExchanges(domain.ascii, mx.value) : undefined;
    } catch {
      liveMx = undefined; // no MX or a null MX: nothing a policy could follow
    }
    const verdicts = [
      checkAddresses(domain, expected, { a, aaaa, cname: hostCname }),
      checkPolicyEndpoint(domain, fetched.exchange, servedText),
      checkCertificate(domain, fetched.certificate, this.clock.now()),
      checkPolicyRecord(domain, stsTxt, entity.servedPolicyId ?? undefined, stsCname),
      checkTlsRpt(domain, rptTxt, tlsRptRua(this.options.tlsRptRua, domain)),
      checkMxCoverage(domain, mx, served?.mx ?? entity.mx, mode),
      ...(probing ? [checkMxTls(domain, mx, probes, mode, this.clock.now())] : []),
    ];
    return { verdicts, liveMx };
  }

  private readonly probeCache = new Map<string, { at: number; result: Promise<SmtpProbeResult> }>();

  /**
   * Probes each MX host once per `cacheMs`: providers host thousands of domains on the
   * same MX hosts, and a sweep should not knock on their port 25 thousands of times.
   */
  private probeAll(hosts: readonly string[], fresh: boolean): Promise<SmtpProbeResult[]> {
    const now = this.clock.now().getTime();
    const unique = [...new Set(hosts.map((host) => host.toLowerCase()))].slice(0, MAX_PROBED_MX);
    return Promise.all(
      unique.map((host) => {
        const cached = this.probeCache.get(host);
        if (!fresh && cached && now - cached.at < this.options.checks.smtpProbe.cacheMs) return cached.result;
        const result = this.prober.probe(host);
        this.probeCache.set(host, { at: now, result });
        if (this.probeCache.size > MAX_CACHED_PROBES) {
          for (const [key, entry] of this.probeCache) {
            if (now - entry.at >= this.options.checks.smtpProbe.cacheMs) this.probeCache.delete(key);
          }
        }
        return result;
      }),
    );
  }

  /**
   * The policy as senders fetch it (the address DNS gives, SNI, no redirects), over IPv4 when
   * the host has an A record. With several addresses of that family (several nodes), from
   * each of them: a sender may reach any, so the checks judge the first answer that is not
   * the policy this server serves (a failed fetch, another status, another text), else the
   * first.
   */
  private async fetchPolicy(
    domain: DomainName,
    a: Lookup<string[]>,
    aaaa: Lookup<string[]>,
    servedText: string | undefined,
  ): Promise<{ exchange: Lookup<PolicyExchange>; certificate: Lookup<PresentedCertificate> }> {
    // One family, as before: IPv4 when the host has A records, else IPv6.
    const family = a.ok && a.value.length > 0 ? a.value : aaaa.ok ? aaaa.value : [];
    const addresses = family.slice(0, MAX_ADDRESSES_FETCHED);
    if (addresses.length === 0) {
      const error = `${domain.policyHost} has no address`;
      return { exchange: { ok: false, error }, certificate: { ok: false, error } };
    }
    const answers = await Promise.all(addresses.map((address) => this.fetchPolicyFrom(domain, address)));
    const wrong = answers.find(
      ({ exchange }) => !exchange.ok || exchange.value.status !== 200 || exchange.value.body !== servedText,
    );
    return wrong ?? answers[0];
  }

  private async fetchPolicyFrom(
    domain: DomainName,
    address: string,
  ): Promise<{ exchange: Lookup<PolicyExchange>; certificate: Lookup<PresentedCertificate> }> {
    const response = await settle<HttpResponse>(async () =>
      this.http.request({
        host: domain.policyHost,
        address,
        port: listenPort(this.options.nginx.httpsListen[0]),
        path: '/.well-known/mta-sts.txt',
        tls: true,
        verify: false,
        extraCa: this.options.checks.caPem,
        timeoutMs: POLICY_FETCH_TIMEOUT_MS,
        maxBodyBytes: POLICY_MAX_BYTES,
      }),
    );
    if (!response.ok) return { exchange: response, certificate: response };
    const r = response.value;
    const exchange: Lookup<PolicyExchange> = {
      ok: true,
      value: {
        status: r.status,
        contentType: r.headers['content-type'],
        location: r.headers.location,
        body: r.body,
        truncated: r.truncated,
        elapsedMs: r.elapsedMs ?? 0,
      },
    };
    const certificate: Lookup<PresentedCertificate> = r.peerCertificate
      ? {
          ok: true,
          value: {
            info: r.peerCertificate,
            trusted: r.tlsAuthorized === true,
            trustError: r.tlsAuthorizationError,
          },
        }
      : { ok: false, error: 'the server presented no certificate' };
    return { exchange, certificate };
  }
}
