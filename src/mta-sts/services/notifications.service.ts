import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { MtaStsNotification, Notifier } from '../ports/notifier.port';
import { Clock } from '../ports/clock.port';

/**
 * Sends what an admin should hear about. Callers decide when (once per change: a badge
 * that changed, the first failed renewal, a downgrade, a finished retirement); delivery
 * runs in the background, and a failed delivery is logged, never raised into the work
 * that caused it.
 */
@Injectable()
export class NotificationsService {
  private readonly logger = new Logger('MtaSts');
  private readonly inFlight = new Set<Promise<void>>();
  /** Notices that could not be delivered since start, for the metrics. */
  failures = 0;

  constructor(
    @Inject(Clock) private readonly clock: Clock,
    @Optional() @Inject(Notifier) private readonly notifier?: Notifier | null,
  ) {}

  send(notification: Omit<MtaStsNotification, 'at'>): void {
    const full: MtaStsNotification = { ...notification, at: this.clock.now() };
    this.logger.log(`Notice for ${full.domain}: ${full.subject}`);
    if (!this.notifier) return;
    const delivery = this.notifier.notify(full).catch((error: unknown) => {
      this.failures++;
      this.logger.warn(
        `Could not deliver the notice "${full.subject}": ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  /** Resolves when every delivery started so far has finished. For tests and shutdown. */
  async drained(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}
