import { PolicyHostAddresses } from './cluster/host-addresses';
import { Inject, Injectable } from '@nestjs/common';
import { idAnnounced } from '../domain/check-run';
import type { CheckResult } from '../domain/check-verdicts';
import {
  PublishedType,
  PublicationPlan,
  PublicationStep,
  needsPublishing,
  nextDnsAttemptAt,
  planPublication,
  planWithdrawal,
} from '../domain/dns-publication';
import { Delegation, delegatedPolicyName, operatorRecords } from '../domain/delegation';
import { expectedRecords, policyIndicatorValue } from '../domain/dns-records';
import { isServing } from '../domain/domain-state';
import { ConflictError, errorSentence } from '../domain/errors';
import { DomainName, parseDomainName } from '../domain/hostname';
import { publishing } from '../domain/wording';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { Clock } from '../ports/clock.port';
import { DnsZones, PublishingZone } from '../ports/dns-zones.port';
import { DomainStore } from '../ports/domain-store.port';
import { Actor, AuditService, SYSTEM_ACTOR } from './audit.service';
import { DomainLocks, HeldLock } from './domain-locks';

/** What publishing would do (or did) for a domain, as the card and the API show it. */
export interface PublicationPreview {
  readonly domain: string;
  /** The zone the records go into; null when the domain's records stay manual. */
  readonly zone: string | null;
  /** How the zone is written (server and method, never a secret). */
  readonly via: string | null;
  readonly steps: readonly PublicationStep[];
  readonly refusals: readonly string[];
}

export interface PublicationResult extends PublicationPreview {
  /** The steps that were written now. */
  readonly written: readonly PublicationStep[];
  /** Authoritative servers that do not answer the served id yet (empty once all do). */
  readonly waitingFor: readonly string[];
  readonly note: string;
}

/** Where a domain's records go; `delegation` for a domain hosted in the operator's zone. */
export interface PublicationTarget {
  readonly zone: PublishingZone;
  readonly delegation?: Delegation;
}

const POLL_MS = 250;
const describeStep = (step: PublicationStep) =>
  `${step.kind} ${step.name} ${step.type}${step.to ? ` ${step.to}` : step.from ? ` ${step.from}` : ''}`;

/**
 * Writes a domain's records into its zone: reconcile, never blindly write (see
 * `planPublication`), and the `_mta-sts` id only once the policy it names is served
 * (RFC 8461 §8.1). The id counts as visible once every authoritative server of the zone
 * answers it, not when the primary took it.
 */
@Injectable()
export class DnsPublishing {
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(DnsZones) private readonly zones: DnsZones,
    private readonly locks: DomainLocks,
    private readonly audit: AuditService,
    private readonly hostAddresses: PolicyHostAddresses,
  ) {}

  /**
   * Where a domain's records go: the configured zone that holds it, or else, with delegated
   * hosting, the operator's zone (RFC 8461 §8.2); undefined when they stay manual.
   */
  target(name: string): PublicationTarget | undefined {
    const zone = this.zones.zoneFor(name);
    if (zone) return { zone };
    const delegation = this.zones.delegation();
    if (!delegation || !delegatedPolicyName(DomainName.fromValidated(name), delegation.zone.zone)) return undefined;
    return { zone: delegation.zone, delegation: { zone: delegation.zone.zone, hostName: delegation.hostName } };
  }

  /** What publishing would write now, read from the zone's primary; writes nothing. */
  async preview(input: unknown): Promise<PublicationPreview> {
    const entity = await this.store.get(parseDomainName(input).ascii);
    const target = this.target(entity.name);
    if (!target) return { domain: entity.name, zone: null, via: null, steps: [], refusals: [] };
    return this.describe(entity, target.zone, await this.plan(entity, target));
  }

  /** Publishes what is not live yet, under the domain's lock. */
  publish(input: unknown, actor: Actor): Promise<PublicationResult> {
    const name = parseDomainName(input);
    return this.locks.run(name.ascii, async (held) =>
      this.publishLocked(held, await this.store.get(name.ascii), actor),
    );
  }

  /**
   * Publishes for a domain whose lock the caller holds. `wait` waits (up to
   * `convergenceTimeoutMs`) for every authoritative server to answer the served id;
   * otherwise that is watched in the background and recorded when it happens.
   */
  async publishLocked(
    held: HeldLock,
    entity: MtaStsDomainEntity,
    actor: Actor,
    wait = true,
  ): Promise<PublicationResult> {
    held.assertHolds(entity.name);
    const target = this.target(entity.name);
    if (!target) throw new ConflictError(publishing.manual(entity.name));
    const { zone } = target;
    let written: PublicationStep[];
    let preview: PublicationPreview;
    try {
      const plan = await this.plan(entity, target);
      preview = this.describe(entity, zone, plan);
      if (plan.refusals.length > 0) throw new ConflictError(publishing.refused(entity.name, plan.refusals));
      written = plan.steps.filter((step) => step.kind !== 'keep');
      if (written.length > 0) await this.zones.apply(zone, plan.update);
    } catch (error) {
      await this.failed(entity, error, actor);
      throw error;
    }
    await this.store.update(entity.id, {
      dnsPublishedAt: this.clock.now(),
      dnsFailures: 0,
      dnsLastError: null,
      dnsNextAttemptAt: null,
    });
    if (written.length > 0) {
      await this.audit.record({
        domain: entity.name,
        action: 'dns-publish',
        actor,
        detail: publishing.trail(written.map(describeStep), zone.describe),
      });
    }
    const announcing = this.announce(entity, target, written);
    let waitingFor: string[] = [];
    if (wait) waitingFor = await announcing;
    else this.track(announcing);
    const note = [
      written.length ? publishing.published(written.length, zone.describe) : publishing.nothingToDo,
      ...(waitingFor.length ? [publishing.waiting(waitingFor)] : []),
    ].join(' ');
    return { ...preview, written, waitingFor, note };
  }

  /**
   * After the lifecycle changed what should be in DNS (Enable reached the DNS step, a
   * policy is served under a new id): publishes when the domain's zone is configured.
   * Never throws: a failure is recorded with its backoff, shown on the card, and tried
   * again by the checks; the policy keeps serving either way.
   */
  async followLocked(held: HeldLock, entity: MtaStsDomainEntity, wait: boolean): Promise<string | undefined> {
    if (!this.target(entity.name)) return undefined;
    try {
      return (await this.publishLocked(held, entity, SYSTEM_ACTOR, wait)).note;
    } catch (error) {
      return errorSentence(error);
    }
  }

  /** `followLocked` for work that does not hold the domain's lock (Enable's background steps, the sweep). */
  follow(name: string, wait: boolean): Promise<string | undefined> {
    return this.locks.run(name, async (held) => {
      const entity = await this.store.findByName(name);
      return entity ? this.followLocked(held, entity, wait) : undefined;
    });
  }

  /** Whether a check run calls for writing the records again (see `needsPublishing`). */
  shouldFollow(entity: MtaStsDomainEntity, results: readonly CheckResult[], now: Date): boolean {
    if (!this.target(entity.name) || !isServing(entity.state)) return false;
    return needsPublishing(entity, results, now);
  }

  /** Resolves once every background wait for authoritative servers has ended. For tests. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /**
   * Takes the domain's policy out of DNS once its host is gone (retirement finished,
   * Remove now): its `v=STSv1` record and this server's addresses. A domain in no
   * configured zone is left to the admin, as the card says.
   */
  async withdrawLocked(held: HeldLock, entity: Pick<MtaStsDomainEntity, 'name'>, actor: Actor): Promise<void> {
    held.assertHolds(entity.name);
    const target = this.target(entity.name);
    if (!target) return;
    const { zone } = target;
    const name = DomainName.fromValidated(entity.name);
    const policyName = this.policyName(name, target);
    const live = await this.readAll(zone, [
      { name: policyName, type: 'TXT' },
      ...(target.delegation
        ? []
        : [
            { name: name.policyHost, type: 'A' as const },
            { name: name.policyHost, type: 'AAAA' as const },
          ]),
    ]);
    // A delegated domain shares the operator's host name with the others: only its record goes.
    const plan = planWithdrawal(
      policyName,
      target.delegation
        ? { name: name.policyHost }
        : { name: name.policyHost, ...(await this.hostAddresses.current()) },
      live,
    );
    if (plan.steps.length === 0) return;
    await this.zones.apply(zone, plan.update);
    await this.audit.record({
      domain: entity.name,
      action: 'dns-withdraw',
      actor,
      detail: publishing.withdrawn(plan.steps.map(describeStep), zone.describe),
    });
  }

  /** A failed attempt: the server's answer and the next attempt on the card, and one log entry. */
  private async failed(entity: MtaStsDomainEntity, error: unknown, actor: Actor): Promise<void> {
    const message = errorSentence(error);
    const failures = (entity.dnsFailures ?? 0) + 1;
    await this.store.update(entity.id, {
      dnsFailures: failures,
      dnsLastError: message,
      dnsNextAttemptAt: nextDnsAttemptAt(failures, this.clock.now()),
    });
    this.audit.log({ domain: entity.name, action: 'dns-publish', actor, outcome: 'failed', detail: message });
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /** Where the domain's `v=STSv1` record lives: `_mta-sts.<domain>`, or its delegated name. */
  private policyName(name: DomainName, target: PublicationTarget): string {
    return target.delegation ? delegatedPolicyName(name, target.delegation.zone)! : name.policyRecordName;
  }

  private async plan(entity: MtaStsDomainEntity, target: PublicationTarget): Promise<PublicationPlan> {
    const name = DomainName.fromValidated(entity.name);
    // §8.1: the id is published only for a policy that is served.
    const servedId = isServing(entity.state) ? (entity.servedPolicyId ?? undefined) : undefined;
    const addresses = await this.hostAddresses.current();
    const wanted = target.delegation
      ? operatorRecords(name, target.delegation, servedId, addresses)
      : expectedRecords(name, servedId, addresses, this.options.tlsRptRua);
    const live = await this.readAll(target.zone, wanted as readonly { name: string; type: PublishedType }[]);
    return planPublication(wanted, live, this.options.dnsPublishing.ttl);
  }

  private async readAll(zone: PublishingZone, wanted: readonly { name: string; type: PublishedType }[]) {
    const read = new Map<string, Awaited<ReturnType<DnsZones['read']>>>();
    for (const { name, type } of wanted) {
      const key = `${name}/${type}`;
      if (!read.has(key)) read.set(key, await this.zones.read(zone, name, type));
    }
    return (name: string, type: string) => read.get(`${name}/${type}`) ?? { name, type: type as 'TXT', values: [] };
  }

  private describe(entity: MtaStsDomainEntity, zone: PublishingZone, plan: PublicationPlan): PublicationPreview {
    return { domain: entity.name, zone: zone.zone, via: zone.describe, steps: plan.steps, refusals: plan.refusals };
  }

  /**
   * Waits (up to `convergenceTimeoutMs`) until every authoritative server answers what was
   * written and the served id, then records the id as visible. Returns the servers still
   * behind, as `name address`.
   */
  private async announce(
    entity: MtaStsDomainEntity,
    target: PublicationTarget,
    written: readonly PublicationStep[],
  ): Promise<string[]> {
    const { zone } = target;
    const id = isServing(entity.state) && !entity.policyVisibleAt ? entity.servedPolicyId : null;
    const name = DomainName.fromValidated(entity.name);
    const expected = written
      .filter((step) => step.to !== undefined)
      .map((step) => ({ name: step.name, type: step.type, values: step.to!.split(', ') }));
    if (id) expected.push({ name: this.policyName(name, target), type: 'TXT', values: [policyIndicatorValue(id)] });
    if (expected.length === 0) return [];
    const servers = await this.zones.authoritativeServers(zone);
    const label = (server: { name: string; address: string }) => `${server.name} ${server.address}`;
    if (servers.length === 0) return [`no NS record of ${zone.zone}`];
    const deadline = Date.now() + this.options.dnsPublishing.convergenceTimeoutMs;
    let behind = servers;
    for (;;) {
      const answered = await Promise.all(
        behind.map(async (server) => {
          for (const record of expected) {
            const values = await this.zones
              .askServer(server, record.name, record.type)
              .catch(() => [] as readonly string[]);
            if (!record.values.every((value) => values.includes(value))) return false;
          }
          return true;
        }),
      );
      behind = behind.filter((_, index) => !answered[index]);
      if (behind.length === 0 || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    if (behind.length > 0) return behind.map(label);
    if (id) {
      const current = await this.store.findById(entity.id);
      const transition = current && idAnnounced(current, id, servers.map(label), this.clock.now());
      if (transition) await this.store.apply(current, transition);
    }
    return [];
  }
}
