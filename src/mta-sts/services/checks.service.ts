import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
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
  checkMxTls,
  CheckId,
  domainBadge,
  graceStart,
  Badge,
} from '../domain/checks';
import { mxPatternsFromExchanges } from '../domain/policy';
import { SmtpProber, SmtpProbeResult } from '../ports/smtp-prober.port';
import { NotificationsService } from './notifications.service';
import { tlsRptRua } from '../domain/dns-records';
import { DomainName } from '../domain/hostname';
import { parsePolicy } from '../domain/policy-parser';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsCheckEntity, MtaStsCheckEventEntity } from '../persistence/mta-sts-check.entity';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { MtaStsActionEntity } from '../persistence/mta-sts-action.entity';
import { SYSTEM_ACTOR } from './audit.service';
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
    @Inject(SmtpProber) private readonly prober: SmtpProber,
    private readonly layout: DataLayout,
    private readonly notifications: NotificationsService,
  ) {}

  /** The checks that run here: all of them, less the STARTTLS probe when it is turned off. */
  get enabledChecks(): readonly CheckId[] {
    return this.options.checks.smtpProbe.enabled ? CHECK_IDS : CHECK_IDS.filter((id) => id !== 'mx-tls');
  }

  /**
   * Observes, judges and stores; returns the fresh results in `CHECK_IDS` order. `fresh`
   * probes MX hosts again even when a recent result could be reused (promotion, a click).
   */
  async run(entity: MtaStsDomainEntity, options: { fresh?: boolean } = {}): Promise<CheckResult[]> {
    const { results, stored } = await this.observe(entity, options);
    await stored;
    return results;
  }

  /**
   * Observes and judges, then queues the results for storing: `stored` settles once they
   * are committed. A sweep moves on to the next domain without waiting for the commit.
   * `liveMx` is the live MX set as `mx:` patterns, when DNS gave a usable one.
   */
  async observe(
    entity: MtaStsDomainEntity,
    options: { fresh?: boolean } = {},
  ): Promise<{ results: CheckResult[]; stored: Promise<void>; liveMx?: string[] }> {
    const { verdicts, liveMx } = await this.evaluate(entity, options.fresh ?? false);
    const observedAt = this.clock.now();
    const results = verdicts.map((verdict) => ({ ...verdict, observedAt }));
    return { results, stored: this.store(entity.id, entity.servedPolicyId, results), liveMx };
  }

  /**
   * Resolves once the results waiting to be stored are few again. A sweep waits here
   * when observing runs ahead of the database, so the queue (and the memory it holds)
   * stays bounded however many domains there are.
   */
  async backlogDrained(): Promise<void> {
    while (this.pending.length >= MAX_BACKLOG && this.flushing) await this.flushing.catch(() => undefined);
  }

  /** Recomputes the stored badge from the domain's state and its latest results. */
  async refreshBadge(domainId: number): Promise<void> {
    const entity = await this.domains.findOneBy({ id: domainId });
    if (!entity) return;
    const badge = domainBadge(entity.state, await this.latest(domainId), graceStart(entity), this.clock.now());
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

  private async evaluate(
    entity: MtaStsDomainEntity,
    fresh: boolean,
  ): Promise<{ verdicts: CheckVerdict[]; liveMx?: string[] }> {
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
    const probing = this.options.checks.smtpProbe.enabled;
    const [fetched, probes] = await Promise.all([
      this.fetchPolicy(domain, a, aaaa),
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
      checkAddresses(domain, expected, { a, aaaa }),
      checkPolicyEndpoint(domain, fetched.exchange, servedText),
      checkCertificate(domain, fetched.certificate, this.clock.now()),
      checkPolicyRecord(domain, stsTxt, entity.servedPolicyId ?? undefined),
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

  /**
   * Stores one domain's results. Writes from many domains are committed together (group
   * commit): while one transaction runs, the results that arrive wait for the next, so a
   * sweep pays one commit per batch rather than per domain, and SQLite's single connection
   * never sees two transactions at once.
   */
  private store(domainId: number, checkedId: string | null, results: readonly CheckResult[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ domainId, checkedId, results, resolve, reject });
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
    const notices: Notice[] = [];
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
      const checkedIds = new Map(batch.map((item) => [item.domainId, item.checkedId]));
      const ranAt = new Date(
        Math.max(...batch.map((item) => (item.results[0]?.observedAt ?? this.clock.now()).getTime())),
      );
      const states = await domains.find({
        where: { id: In(ids) },
        select: [
          'id',
          'name',
          'state',
          'badge',
          'mode',
          'enabledAt',
          'servedPolicyId',
          'policyPublishedAt',
          'policyVisibleAt',
        ],
      });
      const eventsByDomain = new Map<number, Partial<MtaStsCheckEventEntity>[]>();
      for (const event of events) {
        eventsByDomain.set(event.domainId!, [...(eventsByDomain.get(event.domainId!) ?? []), event]);
      }
      const byBadge = new Map<Badge, number[]>();
      const visible: MtaStsDomainEntity[] = [];
      const completed: number[] = [];
      for (const domain of states) {
        const results = latestByDomain.get(domain.id) ?? [];
        // §8.1: the new id is announced; senders will now fetch the policy already served.
        const announced = results.some((result) => result.check === 'policy-record' && result.status === 'pass');
        // Results judged against an id that has since been replaced say nothing about the new one.
        const current = checkedIds.get(domain.id) === domain.servedPolicyId;
        if (announced && current && domain.servedPolicyId && !domain.policyVisibleAt) {
          visible.push(domain);
          if (domain.state === 'changing') {
            domain.state = 'active';
            completed.push(domain.id);
          }
        }
        const badge = domainBadge(domain.state, results, graceStart(domain), ranAt);
        byBadge.set(badge, [...(byBadge.get(badge) ?? []), domain.id]);
        if (badge !== domain.badge) notices.push({ domain, before: domain.badge, after: badge, results });
        if (domain.mode === 'enforce') {
          for (const event of eventsByDomain.get(domain.id) ?? []) {
            if (event.status === 'warn' && TLS_RISK_CHECKS.includes(event.check!)) {
              notices.push({ domain, before: domain.badge, after: badge, results, warn: event });
            }
          }
        }
      }
      for (const [badge, domainIds] of byBadge) {
        await domains.update({ id: In(domainIds) }, { checksRanAt: ranAt, badge });
      }
      // Newly announced ids (also during Enable, when the TXT record came first): one UPDATE
      // for the time, one for the domains whose change is now complete, one trail insert.
      if (visible.length > 0) {
        await domains.update({ id: In(visible.map((domain) => domain.id)) }, { policyVisibleAt: ranAt });
      }
      if (completed.length > 0) await domains.update({ id: In(completed) }, { state: 'active' });
      if (visible.length > 0) {
        await manager.getRepository(MtaStsActionEntity).insert(
          visible.map((domain) => ({
            domain: domain.name,
            action: 'id-visible',
            actor: SYSTEM_ACTOR,
            at: ranAt,
            policyIdBefore: domain.servedPolicyId,
            policyIdAfter: domain.servedPolicyId,
            detail: `The _mta-sts TXT record now announces id ${domain.servedPolicyId}.`,
          })),
        );
      }
    });
    for (const notice of notices) this.notify(notice);
  }

  /** One notice per badge change (not into Verifying, which is transient), and per TLS warning under enforce. */
  private notify(notice: Notice): void {
    const { domain, before, after, results, warn } = notice;
    const name = domain.name;
    if (warn) {
      this.notifications.send({
        kind: 'tls-warning',
        domain: name,
        subject: `${name}: ${warn.summary}`,
        text: `${warn.summary}\n\nThe domain is in enforce mode: senders refuse delivery once this fails.`,
        details: { check: warn.check, status: warn.status },
      });
      return;
    }
    if (after === 'verifying') return;
    const failing = results.filter((result) => result.status === 'fail');
    const lines = failing.map((result) => `- ${result.summary}${result.remedy ? ` ${result.remedy}` : ''}`);
    this.notifications.send({
      kind: 'badge-changed',
      domain: name,
      subject: `${name}: MTA-STS is now ${BADGE_WORDS[after]} (was ${BADGE_WORDS[before]})`,
      text: lines.length ? `Failing checks:\n${lines.join('\n')}` : `Every check passes.`,
      details: { before, after, failing: failing.map((result) => result.check) },
    });
  }
}

interface Notice {
  readonly domain: MtaStsDomainEntity;
  readonly before: Badge;
  readonly after: Badge;
  readonly results: readonly CheckResult[];
  readonly warn?: Partial<MtaStsCheckEventEntity>;
}

/** Checks whose warning, under enforce, means mail may soon bounce. */
const TLS_RISK_CHECKS: readonly string[] = ['certificate', 'mx-tls'];

const BADGE_WORDS: Record<Badge, string> = {
  active: 'active',
  verifying: 'verifying',
  retiring: 'retiring',
  error: 'failing',
  inactive: 'inactive',
};

interface PendingWrite {
  readonly domainId: number;
  /** The served policy id the results were judged against. */
  readonly checkedId: string | null;
  readonly results: readonly CheckResult[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Domains per transaction: large enough to amortise the commit, small enough to keep it short. */
const MAX_BATCH = 100;

/** Domains whose results may wait for storing before a sweep slows down to let the writes catch up. */
const MAX_BACKLOG = 2 * MAX_BATCH;

/** MX hosts probed per domain; more is a misconfiguration the probe need not follow. */
const MAX_PROBED_MX = 10;

/** Above this many cached probe results, expired ones are dropped. */
const MAX_CACHED_PROBES = 10_000;

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
