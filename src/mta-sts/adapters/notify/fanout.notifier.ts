import { MtaStsNotification, Notifier } from '../../ports/notifier.port';

/** Some channels did not deliver; `errors[i]` is why `channels[i]` failed. */
export class NotificationDeliveryError extends AggregateError {
  constructor(
    /** Names of the channels that failed, e.g. `['webhook']`. */
    readonly channels: readonly string[],
    errors: readonly unknown[],
    /** How many channels were tried in all. */
    readonly attempted: number,
  ) {
    const reasons = channels.map((channel, index) => `${channel}: ${messageOf(errors[index])}`);
    super(
      [...errors],
      `Notification not delivered to ${channels.length} of ${attempted} channels. ${reasons.join('; ')}`,
    );
    this.name = 'NotificationDeliveryError';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Delivers to every channel at the same time. One channel failing does not keep the
 * others from delivering; once all have finished, the failures are reported together.
 */
export class FanoutNotifier extends Notifier {
  private readonly channels: readonly (readonly [string, Notifier])[];

  /** @param channels notifiers by channel name, e.g. `{ webhook, email }`. */
  constructor(channels: Readonly<Record<string, Notifier>>) {
    super();
    this.channels = Object.entries(channels);
  }

  async notify(notification: MtaStsNotification): Promise<void> {
    const outcomes = await Promise.allSettled(
      this.channels.map(([, notifier]) => Promise.resolve().then(() => notifier.notify(notification))),
    );
    const failed: string[] = [];
    const errors: unknown[] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'rejected') {
        failed.push(this.channels[index][0]);
        errors.push(outcome.reason);
      }
    });
    if (failed.length > 0) throw new NotificationDeliveryError(failed, errors, this.channels.length);
  }
}
