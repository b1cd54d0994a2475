import { Inject, Injectable } from '@nestjs/common';
import { CheckResult } from '../domain/checks';
import { isServing } from '../domain/domain-state';
import { DomainName } from '../domain/hostname';
import { mxFieldsAfter, mxTransition } from '../domain/lifecycle';
import { downgradedNotice, mxChangedNotice, trail } from '../domain/wording';
import { followsLiveMx } from '../domain/transitions';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { AuditService, SYSTEM_ACTOR } from './audit.service';
import { DomainLocks } from './domain-locks';
import { enforceRisksOf } from './domain-view';
import { NotificationsService } from './notifications.service';
import { PolicyService } from './policy.service';

/**
 * The policy changes nobody clicked: the MX watch, which follows the live MX records
 * (under enforce, old hosts stay until senders' cached policies have expired), and the
 * enforce guard, which goes back to testing on certificate trouble when allowed to.
 */
@Injectable()
export class AutomaticChanges {
  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(Clock) private readonly clock: Clock,
    private readonly locks: DomainLocks,
    private readonly policies: PolicyService,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
  ) {}

  /**
   * The MX watch, after a scheduled check saw the live MX set (as `mx:` patterns). Does
   * nothing, and takes no lock, when nothing changed.
   */
  async followLiveMx(entity: MtaStsDomainEntity, live: readonly string[]): Promise<void> {
    if (!followsLiveMx(entity.state)) return;
    const quick = mxTransition(entity.mode, entity.mx, live, entity.mxDrop, entity.maxAge, this.clock.now());
    if (quick.kind === 'none') return;
    await this.locks.run(entity.name, async (held) => {
      const current = await this.store.findById(entity.id);
      if (!current || !followsLiveMx(current.state)) return;
      const now = this.clock.now();
      const transition = mxTransition(current.mode, current.mx, live, current.mxDrop, current.maxAge, now);
      const name = current.name;
      switch (transition.kind) {
        case 'none':
          return;
        case 'schedule-drop':
          await this.store.update(current.id, { mxDrop: transition.drop });
          if (transition.drop) {
            await this.audit.record({
              domain: name,
              action: 'mx-drop-scheduled',
              actor: SYSTEM_ACTOR,
              detail: trail.mxDropScheduled(transition.drop.hosts, transition.drop.after),
            });
          }
          return;
        case 'follow':
        case 'widen':
        case 'narrow': {
          const fields = mxFieldsAfter(transition);
          const drop = fields.mxDrop ?? null;
          const detail = trail.mxFollowed(transition.kind, transition.mx, drop);
          const change = await this.policies.applyLocked(
            held,
            current,
            { ...fields, mxProblem: null, mxCheckedAt: now },
            { action: `mx-${transition.kind}`, actor: SYSTEM_ACTOR, detail },
          );
          this.notifications.send(
            mxChangedNotice(
              DomainName.fromValidated(name),
              detail,
              change.idChanged ? change.domain.servedPolicyId : null,
              {
                mx: transition.mx,
                drop,
              },
            ),
          );
          return;
        }
      }
    });
  }

  /**
   * Certificate trouble under enforce (see `enforceRisks`): with `autoDowngrade` the domain
   * goes back to testing at once and the admin is told; without it the card shows the
   * risk and the admin decides.
   */
  async guardEnforce(entity: MtaStsDomainEntity, results: readonly CheckResult[]): Promise<string[]> {
    const risks = enforceRisksOf(entity, results, this.clock.now());
    if (risks.length === 0 || !this.options.autoDowngrade) return risks;
    await this.locks.run(entity.name, async (held) => {
      const current = await this.store.findById(entity.id);
      if (!current || current.mode !== 'enforce' || !isServing(current.state)) return;
      const change = await this.policies.applyLocked(
        held,
        current,
        { mode: 'testing' },
        { action: 'downgrade', actor: SYSTEM_ACTOR, detail: trail.downgraded(risks) },
      );
      this.notifications.send(
        downgradedNotice(DomainName.fromValidated(current.name), risks, change.domain.servedPolicyId!),
      );
    });
    return risks;
  }
}
