import { Inject, Injectable } from '@nestjs/common';
import { isServing } from '../domain/domain-state';
import { ConflictError, InvalidInputError } from '../domain/errors';
import { DomainName, parseDomainName } from '../domain/hostname';
import { mxFieldsAfter, mxTransition } from '../domain/lifecycle';
import { assertMaxAge, assertMode, PolicyMode } from '../domain/policy';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { DomainStore, StaleDomainError } from '../ports/domain-store.port';
import { PolicyChangeDecision, changePolicy, policyChangeRefusal, undoChange } from '../domain/transitions';
import { Clock } from '../ports/clock.port';
import { Actor, AuditService, SYSTEM_ACTOR } from './audit.service';
import { PolicyChecks } from './policy-checks';
import { PolicyHost } from './policy-host';
import { DomainView } from './domain-view';
import { DomainLocks, HeldLock } from './domain-locks';
import { DomainsService } from './domains.service';
import { DnsRecord, policyIndicatorRecord } from '../domain/dns-records';
import { policyChangeNote, reportWords, trail } from '../domain/wording';

export interface PolicyChange {
  readonly domain: DomainView;
  /** True when the policy text changed (whether or not it is served yet). */
  readonly policyChanged: boolean;
  /** True when the served policy (and so its id) changed: the `_mta-sts` TXT record must follow. */
  readonly idChanged: boolean;
  /** The `_mta-sts` TXT record to publish now, when the id changed. */
  readonly publish: DnsRecord | null;
  /** What happened and what to do next, in one or two sentences. */
  readonly note: string;
}

/** What an audit record says about a change. */
export interface ChangeMeta {
  readonly action: string;
  readonly actor: Actor;
  readonly detail: string;
}

/**
 * Changes to what the policy says: mode, max_age and the mx lines, by an admin or by the
 * MX watch. On a serving domain the new policy file is published first and the admin
 * updates the `_mta-sts` TXT id afterwards (RFC 8461 §8.1): senders refetch only when they
 * see the new id, and then the new policy is already there. The domain is `changing`
 * until a check sees the new id in DNS.
 */
@Injectable()
export class PolicyService {
  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(Clock) private readonly clock: Clock,
    private readonly host: PolicyHost,
    private readonly locks: DomainLocks,
    private readonly catalogue: DomainsService,
    private readonly policyChecks: PolicyChecks,
    private readonly audit: AuditService,
  ) {}

  /**
   * `enforce` only when it is safe: the domain serves its testing policy, and fresh
   * checks (every readiness check, coverage of every live MX, the STARTTLS probe of every
   * MX host) all pass. Anything else, `testing` in particular, applies at once: going
   * back to testing is the emergency brake.
   */
  setMode(
    input: unknown,
    mode: unknown,
    actor: Actor = SYSTEM_ACTOR,
    { overrideReports = false }: { overrideReports?: boolean } = {},
  ): Promise<PolicyChange> {
    const wanted: PolicyMode = assertMode(mode);
    if (wanted === 'none') {
      throw new InvalidInputError('mode none is served by Disable, which retires the domain safely (RFC 8461 §8.3).');
    }
    return this.change(input, async (entity) => {
      const overridden =
        wanted === 'enforce' && entity.mode !== 'enforce'
          ? await this.policyChecks.assertPromotable(entity, overrideReports)
          : null;
      const detail = trail.mode(entity.mode, wanted);
      return {
        patch: { mode: wanted },
        meta: {
          action: 'mode',
          actor,
          detail: overridden
            ? `${detail} ${reportWords.promotedDespiteReports(overridden.failedSessions, overridden.failureTypes)}`
            : detail,
        },
      };
    });
  }

  /** Sets the policy's `max_age` (86400 to 31557600 seconds); a new policy id when it changes. */
  setMaxAge(input: unknown, maxAge: unknown, actor: Actor = SYSTEM_ACTOR): Promise<PolicyChange> {
    const wanted = assertMaxAge(typeof maxAge === 'string' && /^\d+$/.test(maxAge) ? Number(maxAge) : maxAge);
    return this.change(input, (entity) => ({
      patch: { maxAge: wanted },
      meta: { action: 'max-age', actor, detail: trail.maxAge(entity.maxAge, wanted) },
    }));
  }

  /**
   * Rebuilds the `mx` lines from the live MX records. A domain whose MX records cannot
   * back a policy is left as it is. Under enforce the same rule as the MX watch applies:
   * new hosts join at once, old ones stay until the previous max_age has passed.
   */
  refreshMx(input: unknown, actor: Actor = SYSTEM_ACTOR): Promise<PolicyChange> {
    return this.change(input, async (entity) => {
      const mx = await this.catalogue.lookupMx(DomainName.fromValidated(entity.name));
      if (mx.problem) throw new ConflictError(`The policy was not changed: ${mx.problem}`);
      return {
        patch: { ...this.mxPatch(entity, mx.patterns), mxProblem: null, mxCheckedAt: this.clock.now() },
        meta: { action: 'refresh-mx', actor, detail: trail.mxRefreshed },
      };
    });
  }

  /** Runs `compute` and applies its patch under the domain's lock. */
  private change(
    input: unknown,
    compute: (
      entity: MtaStsDomainEntity,
    ) =>
      | { patch: Partial<MtaStsDomainEntity>; meta: ChangeMeta }
      | Promise<{ patch: Partial<MtaStsDomainEntity>; meta: ChangeMeta }>,
  ): Promise<PolicyChange> {
    const name = parseDomainName(input);
    return this.locks.run(name.ascii, async (held) => {
      const entity = await this.catalogue.find(name);
      const refusal = policyChangeRefusal(entity);
      if (refusal) throw new ConflictError(refusal);
      const { patch, meta } = await compute(entity);
      return this.applyLocked(held, entity, patch, meta);
    });
  }

  /**
   * Applies a change to a domain whose lock the caller holds (`held`, checked). On a serving domain the
   * new policy is recorded first (state `changing`, new id) and then its file is written:
   * a crash in between leaves the database ahead of the file, and start-up rewrites the
   * file from the database. A failed write puts the previous record back.
   */
  async applyLocked(
    held: HeldLock,
    entity: MtaStsDomainEntity,
    patch: Partial<MtaStsDomainEntity>,
    meta: ChangeMeta,
  ): Promise<PolicyChange> {
    held.assertHolds(entity.name);
    const { decision, before } = await this.applyFresh(entity, patch);
    entity = before;
    const { publish: policy } = decision;
    const publish = policy !== null;
    if (policy) {
      try {
        await this.host.writePolicy(entity.name, policy.text);
      } catch (error) {
        await this.store.apply(entity, undoChange(entity, decision));
        throw error;
      }
    }
    // Recorded once the new policy is served: a change undone by a failed write leaves no entry.
    await this.audit.record({
      domain: entity.name,
      action: meta.action,
      actor: meta.actor,
      policyIdBefore: entity.servedPolicyId,
      policyIdAfter: decision.transition.patch.servedPolicyId ?? entity.servedPolicyId,
      detail: meta.detail,
    });
    const policyChanged = decision.policyChanged;
    const name = DomainName.fromValidated(entity.name);
    // The new policy is served: its id may be published now (RFC 8461 §8.1).
    const published = publish
      ? await this.host.publishRecordsLocked(held, await this.catalogue.find(name), false)
      : undefined;
    // The policy-record check now reports the new id as not yet visible in DNS.
    await this.policyChecks.afterChange(publish ? await this.catalogue.find(name) : entity, publish);
    const view = await this.catalogue.view(await this.catalogue.find(name));
    return {
      domain: view,
      policyChanged,
      idChanged: publish,
      publish: publish ? policyIndicatorRecord(name, policy.id) : null,
      note: [policyChangeNote(name, { newId: publish ? policy.id : null, policyChanged }), published]
        .filter(Boolean)
        .join(' '),
    };
  }

  /**
   * Decides and writes the change. The caller holds the domain's lock, so no other change
   * of its policy runs; only the checks may move it meanwhile (`changing` to `active` once
   * DNS shows the id), and then the change is decided again on what is stored now.
   */
  private async applyFresh(
    entity: MtaStsDomainEntity,
    patch: Partial<MtaStsDomainEntity>,
  ): Promise<{ decision: PolicyChangeDecision; before: MtaStsDomainEntity }> {
    let current = entity;
    for (let attempt = 1; ; attempt++) {
      const decision = changePolicy(current, patch, this.clock.now());
      try {
        await this.store.apply(current, decision.transition);
        return { decision, before: current };
      } catch (error) {
        if (!(error instanceof StaleDomainError) || attempt === 3) throw error;
        const stored = await this.store.findById(current.id);
        if (!stored) throw error;
        current = stored;
      }
    }
  }

  /** Under enforce, live MX changes keep old hosts until they may leave (see `mxTransition`). */
  private mxPatch(entity: MtaStsDomainEntity, live: readonly string[]): Partial<MtaStsDomainEntity> {
    // Nothing is cached by senders until the policy is served: follow at once.
    if (!isServing(entity.state)) return { mx: [...live], mxDrop: null };
    return mxFieldsAfter(mxTransition(entity.mode, entity.mx, live, entity.mxDrop, entity.maxAge, this.clock.now()));
  }
}
