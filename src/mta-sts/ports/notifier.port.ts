/** Something an admin should hear about once, when it happens. */
export interface MtaStsNotification {
  /** Stable machine-readable kind, e.g. `badge-changed`, `renewal-failed`, `downgraded`, `retired`. */
  readonly kind: string;
  /** The domain (A-label). */
  readonly domain: string;
  /** One line, e.g. "example.com: MTA-STS is now failing". */
  readonly subject: string;
  /** Plain text: what happened and what to do. */
  readonly text: string;
  readonly at: Date;
  /** Extra structured fields for webhooks (badge before/after, policy ids, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Delivers notifications (webhook, e-mail). Deciding *when* to notify (once per change)
 * is the caller's job; a notifier only delivers, and reports a failed delivery by
 * rejecting so the caller can log it.
 */
export abstract class Notifier {
  abstract notify(notification: MtaStsNotification): Promise<void>;
}
