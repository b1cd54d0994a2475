import { Inject, Injectable, Logger } from '@nestjs/common';
import { isRetiring } from '../domain/domain-state';
import { retiredNotice, trail } from '../domain/wording';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { SYSTEM_ACTOR } from './audit.service';
import { DomainLocks } from './domain-locks';
import { NotificationsService } from './notifications.service';
import { RetirementService } from './retirement.service';

/** Finishes the retirements whose time has come: run by the scheduled checks and at start-up. */
@Injectable()
export class RetirementSweep {
  private readonly logger = new Logger('MtaSts');

  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(Clock) private readonly clock: Clock,
    private readonly locks: DomainLocks,
    private readonly retirement: RetirementService,
    private readonly notifications: NotificationsService,
  ) {}

  /** Removes the policy hosts whose retirement has ended; the number removed. */
  async finishDue(): Promise<number> {
    const due = await this.store.findRetirementsDue(this.clock.now());
    let finished = 0;
    for (const entity of due) {
      await this.locks
        .run(entity.name, async (held) => {
          const current = await this.store.findById(entity.id);
          if (!current || !isRetiring(current.state) || !current.retireUntil) return;
          if (new Date(current.retireUntil).getTime() > this.clock.now().getTime()) return;
          const result = await this.retirement.removeHostLocked(held, current, {
            action: 'retired',
            actor: SYSTEM_ACTOR,
            detail: trail.retired,
          });
          finished++;
          this.notifications.send(retiredNotice(current.name, result.recordsToRemove, result.note));
        })
        .catch((error: unknown) => {
          this.logger.error(`Finishing the retirement of ${entity.name} failed: ${String(error)}`);
        });
    }
    return finished;
  }
}
