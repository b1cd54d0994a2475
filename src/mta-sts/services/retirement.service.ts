import { Inject, Injectable } from '@nestjs/common';
import { removedRecordsNote, retirementNote, trail } from '../domain/wording';
import { DnsRecord, addressRecords, policyIndicatorRecord } from '../domain/dns-records';
import { ConflictError } from '../domain/errors';
import { DomainName, parseDomainName } from '../domain/hostname';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { DomainStore } from '../ports/domain-store.port';
import {
  cancelRetirementSettings,
  removeHost,
  removeNowDecision,
  retireRefusal,
  retireSettings,
} from '../domain/transitions';
import { isRetiring } from '../domain/domain-state';
import { Clock } from '../ports/clock.port';
import { Actor, SYSTEM_ACTOR } from './audit.service';
import { PolicyHost } from './policy-host';
import { DomainView } from './domain-view';
import { policyOf } from '../domain/policy-id';
import { DomainLocks, HeldLock } from './domain-locks';
import { DomainsService } from './domains.service';
import { PolicyService } from './policy.service';

export interface RetireResult {
  readonly domain: DomainView;
  /** When the policy host will be removed. */
  readonly removeAt: string;
  /** The `_mta-sts` TXT record to publish now, so senders fetch `mode: none`. */
  readonly publish: DnsRecord;
  readonly note: string;
}

export interface RemoveResult {
  readonly domain: DomainView;
  /** Records the admin should now delete at the DNS provider. */
  readonly recordsToRemove: readonly DnsRecord[];
  readonly note: string;
}

/**
 * Taking a domain off MTA-STS without stranding senders (RFC 8461 §8.3). Retire serves
 * `mode: none` with a short max_age and a new id, keeps the policy host and certificate
 * until every cached policy has expired, then removes the host and says which records to
 * delete. Remove now does it at once, for admins who accept the risk.
 */
@Injectable()
export class RetirementService {
  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(Clock) private readonly clock: Clock,
    private readonly host: PolicyHost,
    private readonly locks: DomainLocks,
    private readonly catalogue: DomainsService,
    private readonly policies: PolicyService,
  ) {}

  /** Starts retiring a serving domain. Asking again while it retires changes nothing. */
  retire(input: unknown, actor: Actor = SYSTEM_ACTOR): Promise<RetireResult> {
    const name = parseDomainName(input);
    return this.locks.run(name.ascii, async (held) => {
      const entity = await this.catalogue.find(name);
      const refusal = retireRefusal(entity);
      if (refusal) throw new ConflictError(refusal);
      if (isRetiring(entity.state)) return this.retireResult(entity);
      const settings = retireSettings(entity, this.clock.now(), this.options.retirement.txtTtlSeconds);
      const change = await this.policies.applyLocked(held, entity, settings, {
        action: 'retire',
        actor,
        detail: trail.retiring(settings.retireUntil!),
      });
      return this.retireResult(await this.catalogue.find(name), change.domain);
    });
  }

  /**
   * Removes the policy host now, whatever senders cached. Nothing is lost: the
   * certificate stays on disk and Enable brings the domain back.
   */
  removeNow(input: unknown, actor: Actor = SYSTEM_ACTOR): Promise<RemoveResult> {
    const name = parseDomainName(input);
    return this.locks.run(name.ascii, async (held) => {
      const entity = await this.catalogue.find(name);
      const decision = removeNowDecision(entity, this.clock.now());
      if (decision.refusal) throw new ConflictError(decision.refusal);
      if (decision.nothingToDo) return this.removeResult(entity);
      const detail = decision.detail!;
      return this.removeHostLocked(held, entity, { action: 'remove-now', actor, detail });
    });
  }

  /**
   * Cancels a retirement of a domain whose lock the caller holds: the domain serves a
   * testing policy again, with the max_age it had before retiring, under a new id.
   */
  async cancelLocked(held: HeldLock, current: MtaStsDomainEntity, actor: Actor): Promise<DomainView> {
    if (!isRetiring(current.state)) return this.catalogue.view(current);
    const settings = cancelRetirementSettings(current, this.options.defaultMaxAge);
    const change = await this.policies.applyLocked(held, current, settings, {
      action: 'cancel-retire',
      actor,
      detail: trail.retirementCancelled(settings.maxAge!),
    });
    return change.domain;
  }

  /** Removes the policy host of a domain whose lock the caller holds, and says which records to delete. */
  async removeHostLocked(
    held: HeldLock,
    entity: MtaStsDomainEntity,
    meta: { action: string; actor: Actor; detail: string },
  ): Promise<RemoveResult> {
    held.assertHolds(entity.name);
    const name = DomainName.fromValidated(entity.name);
    const servedId = entity.servedPolicyId ?? policyOf(entity)?.id ?? null;
    // Nginx first: if it refuses, the host keeps serving and the record stays as it was.
    await this.host.remove(name);
    await this.store.apply(
      entity,
      removeHost(entity, this.clock.now(), this.options.defaultMaxAge, {
        action: meta.action,
        actor: meta.actor,
        policyIdBefore: servedId,
        policyIdAfter: null,
        detail: meta.detail,
      }),
    );
    await this.host.withdrawRecordsLocked(held, entity);
    return this.removeResult(await this.catalogue.find(name), servedId);
  }

  private async removeResult(entity: MtaStsDomainEntity, servedId?: string | null): Promise<RemoveResult> {
    const name = DomainName.fromValidated(entity.name);
    return {
      domain: await this.catalogue.view(entity),
      recordsToRemove: [
        ...(servedId ? [policyIndicatorRecord(name, servedId)] : []),
        ...addressRecords(name, await this.host.addresses()),
      ],
      note: removedRecordsNote(name),
    };
  }

  private async retireResult(entity: MtaStsDomainEntity, view?: DomainView): Promise<RetireResult> {
    const name = DomainName.fromValidated(entity.name);
    const until = new Date(entity.retireUntil!);
    return {
      domain: view ?? (await this.catalogue.view(entity)),
      removeAt: until.toISOString(),
      publish: policyIndicatorRecord(name, entity.servedPolicyId!),
      note: retirementNote(name, entity.servedPolicyId!, until, this.clock.now()),
    };
  }
}
