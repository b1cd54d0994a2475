import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { describeCertificate } from '../domain/certificate';
import {
  CHECK_IDS,
  CheckResult,
  CheckVerdict,
  Lookup,
  POLICY_FETCH_TIMEOUT_MS,
  POLICY_MAX_BYTES,
  PolicyExchange,
  PresentedCertificate,
  checkAddresses,
  checkCertificate,
  checkMxCoverage,
  checkPolicyEndpoint,
  checkPolicyRecord,
  checkTlsRpt,
  domainBadge,
  Badge,
} from '../domain/checks';
import { tlsRptRua } from '../domain/dns-records';
import { DomainName } from '../domain/hostname';
import { parsePolicy } from '../domain/policy-parser';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsCheckEntity, MtaStsCheckEventEntity } from '../persistence/mta-sts-check.entity';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { Clock } from '../ports/clock.port';
import { DnsResolver } from '../ports/dns-resolver.port';
import { FileStore } from '../ports/file-store.port';
import { HttpClient, HttpResponse } from '../ports/http-client.port';
import { DataLayout } from './data-layout';
import { listenPort } from './preflight.service';

async function settle<T>(work: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
}

export interface CheckEvent {
  readonly check: string;
  readonly previousStatus: string | null;
  readonly status: string;
  readonly summary: string;
  readonly at: Date;
}

/**
 * Runs the six readiness checks of a domain against the outside world, as a sender would
 * see it, and stores the results with a history of status changes. Pages and API answers
 * read the stored results; nothing here runs inside a page request.
 */
@Injectable()
export class ChecksService {
  private readonly pending: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    @InjectRepository(MtaStsCheckEntity) private readonly checks: Repository<MtaStsCheckEntity>,
    @InjectRepository(MtaStsCheckEventEntity) private readonly events: Repository<MtaStsCheckEventEntity>,
    @InjectRepository(MtaStsDomainEntity) private readonly domains: Repository<MtaStsDomainEntity>,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(DnsResolver) private readonly dns: DnsResolver,
    @Inject(HttpClient) private readonly http: HttpClient,
    @Inject(FileStore) private readonly files: FileStore,
    @Inject(Clock) private readonly clock: Clock,
    private readonly layout: DataLayout,
  ) {}

  /** Observes, judges and stores; returns the fresh results in `CHECK_IDS` order. */
  async run(entity: MtaStsDomainEntity): Promise<CheckResult[]> {
    const { results, stored } = await this.observe(entity);
    await stored;
    return results;
  }

  /**
   * Observes and judges, then queues the results for storing: `stored` settles once they
   * are committed. A sweep moves on to the next domain without waiting for the commit.
   */
  async observe(entity: MtaStsDomainEntity): Promise<{ results: CheckResult[]; stored: Promise<void> }> {
    const verdicts = await this.evaluate(entity);
    const observedAt = this.clock.now();
    const results = verdicts.map((verdict) => ({ ...verdict, observedAt }));
    return { results, stored: this.store(entity.id, results) };
  }

  /** Recomputes the stored badge from the domain's state and its latest results. */
  async refreshBadge(domainId: number): Promise<void> {
    const entity = await this.domains.findOneBy({ id: domainId });
    if (!entity) return;
    const badge = domainBadge(
      entity.state,
      await this.latest(domainId),
      entity.enabledAt ? new Date(entity.enabledAt) : null,
      this.clock.now(),
    );
    if (badge !== entity.badge) await this.domains.update({ id: domainId }, { badge });
  }

  async latest(domainId: number): Promise<CheckResult[]> {
    const rows = await this.checks.findBy({ domainId });
    return CHECK_IDS.flatMap((id) => rows.filter((row) => row.check === id)).map(toResult);
  }

  /** Latest results of many domains at once, for lists. */
  async latestFor(domainIds: readonly number[]): Promise<Map<number, CheckResult[]>> {
    const byDomain = new Map<number, CheckResult[]>();
    if (domainIds.length === 0) return byDomain;
    for (const row of await this.checks.findBy({ domainId: In([...domainIds]) })) {
      byDomain.set(row.domainId, [...(byDomain.get(row.domainId) ?? []), toResult(row)]);
    }
    return byDomain;
  }

  async history(domainId: number, limit = 50): Promise<CheckEvent[]> {
    const rows = await this.events.find({ where: { domainId }, order: { at: 'DESC', id: 'DESC' }, take: limit });
    return rows.map(({ check, previousStatus, status, summary, at }) => ({
      check,
      previousStatus,
      status,
      summary,
      at,
    }));
  }

  private async evaluate(entity: MtaStsDomainEntity): Promise<CheckVerdict[]> {
    const domain = DomainName.fromValidated(entity.name);
    const expected = { ipv4: this.options.serverIpv4, ipv6: this.options.serverIpv6 };
    const [a, aaaa, stsTxt, rptTxt, mx, servedText] = await Promise.all([
      settle(() => this.dns.resolveAddresses(domain.policyHost, 4)),
      settle(() => this.dns.resolveAddresses(domain.policyHost, 6)),
      settle(() => this.dns.resolveTxt(domain.policyRecordName)),
      settle(() => this.dns.resolveTxt(domain.tlsRptRecordName)),
      settle(async () => (await this.dns.resolveMx(domain.ascii)).map((record) => record.exchange.replace(/\.$/, ''))),
      this.files.read(this.layout.policyFile(domain.ascii)),
    ]);
    const fetched = await this.fetchPolicy(domain, a, aaaa);
    const served = servedText ? parsePolicy(servedText).policy : undefined;
    return [
      checkAddresses(domain, expected, { a, aaaa }),
      checkPolicyEndpoint(domain, fetched.exchange, servedText),
      checkCertificate(domain, fetched.certificate, this.clock.now()),
      checkPolicyRecord(domain, stsTxt, entity.servedPolicyId ?? undefined),
      checkTlsRpt(domain, rptTxt, tlsRptRua(this.options.tlsRptRua, domain)),
      checkMxCoverage(domain, mx, served?.mx ?? entity.mx, served?.mode ?? entity.mode),
    ];
  }

  /** One HTTPS exchange, as a sender makes it: the address DNS gives, SNI, no redirects. */
  private async fetchPolicy(
    domain: DomainName,
    a: Lookup<string[]>,
    aaaa: Lookup<string[]>,
  ): Promise<{ exchange: Lookup<PolicyExchange>; certificate: Lookup<PresentedCertificate> }> {
    const address = (a.ok ? a.value[0] : undefined) ?? (aaaa.ok ? aaaa.value[0] : undefined);
    if (!address) {
      const error = `${domain.policyHost} has no address`;
      return { exchange: { ok: false, error }, certificate: { ok: false, error } };
    }
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
    const certificate: Lookup<PresentedCertificate> = r.peerCertificatePem
      ? {
          ok: true,
          value: {
            info: describeCertificate(r.peerCertificatePem),
            trusted: r.tlsAuthorized === true,
            trustError: r.tlsAuthorizationError,
          },
        }
      : { ok: false, error: 'the server presented no certificate' };
    return { exchange, certificate };
  }

  /**
   * Stores one domain's results. Writes from many domains are committed together (group
   * commit): while one transaction runs, the results that arrive wait for the next, so a
   * sweep pays one commit per batch rather than per domain, and SQLite's single connection
   * never sees two transactions at once.
   */
  private store(domainId: number, results: readonly CheckResult[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ domainId, results, resolve, reject });
      this.flushing ??= this.flush().finally(() => {
        this.flushing = undefined;
      });
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        await this.write(batch);
        for (const item of batch) item.resolve();
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
  }

  /** One transaction: the latest results (one upsert), an event per changed status, badges and run times. */
  private async write(batch: readonly PendingWrite[]): Promise<void> {
    await this.checks.manager.transaction(async (manager) => {
      const checks = manager.getRepository(MtaStsCheckEntity);
      const domains = manager.getRepository(MtaStsDomainEntity);
      const ids = [...new Set(batch.map((item) => item.domainId))];
      const previous = new Map(
        (await checks.find({ where: { domainId: In(ids) }, select: ['domainId', 'check', 'status', 'since'] })).map(
          (row) => [`${row.domainId}/${row.check}`, row],
        ),
      );
      const rows: Partial<MtaStsCheckEntity>[] = [];
      const events: Partial<MtaStsCheckEventEntity>[] = [];
      for (const { domainId, results } of batch) {
        for (const result of results) {
          const key = `${domainId}/${result.check}`;
          const before = previous.get(key);
          const changed = before?.status !== result.status;
          const since = changed ? result.observedAt : before!.since;
          previous.set(key, { domainId, check: result.check, status: result.status, since } as MtaStsCheckEntity);
          rows.push({
            domainId,
            check: result.check,
            status: result.status,
            summary: result.summary,
            detail: result.detail,
            remedy: result.remedy,
            observed: result.observed
              ? Object.fromEntries(Object.entries(result.observed).map(([type, values]) => [type, [...values]]))
              : null,
            observedAt: result.observedAt,
            since,
          });
          if (changed) {
            events.push({
              domainId,
              check: result.check,
              previousStatus: before?.status ?? null,
              status: result.status,
              summary: result.summary,
              at: result.observedAt,
            });
          }
        }
      }
      // The same domain twice in a batch: its later results win.
      const latest = new Map(rows.map((row) => [`${row.domainId}/${row.check}`, row]));
      await checks.upsert([...latest.values()], {
        conflictPaths: ['domainId', 'check'],
        skipUpdateIfNoValuesChanged: false,
      });
      if (events.length > 0) await manager.getRepository(MtaStsCheckEventEntity).insert(events);
      // Badges and run times: one UPDATE per badge rather than one per domain. The run time
      // is the batch's latest observation (its domains were observed within moments).
      const latestByDomain = new Map(batch.map((item) => [item.domainId, item.results]));
      const ranAt = new Date(
        Math.max(...batch.map((item) => (item.results[0]?.observedAt ?? this.clock.now()).getTime())),
      );
      const states = await domains.find({ where: { id: In(ids) }, select: ['id', 'state', 'enabledAt'] });
      const byBadge = new Map<Badge, number[]>();
      for (const domain of states) {
        const badge = domainBadge(
          domain.state,
          latestByDomain.get(domain.id) ?? [],
          domain.enabledAt ? new Date(domain.enabledAt) : null,
          ranAt,
        );
        byBadge.set(badge, [...(byBadge.get(badge) ?? []), domain.id]);
      }
      for (const [badge, domainIds] of byBadge) {
        await domains.update({ id: In(domainIds) }, { checksRanAt: ranAt, badge });
      }
    });
  }
}

interface PendingWrite {
  readonly domainId: number;
  readonly results: readonly CheckResult[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Domains per transaction: large enough to amortise the commit, small enough to keep it short. */
const MAX_BATCH = 100;

function toResult(row: MtaStsCheckEntity): CheckResult {
  return {
    check: row.check,
    status: row.status,
    summary: row.summary,
    detail: row.detail,
    remedy: row.remedy,
    ...(row.observed ? { observed: row.observed } : {}),
    observedAt: new Date(row.observedAt),
  };
}
