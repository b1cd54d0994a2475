/** Where a message read from the mailbox goes after it was handled. */
export type MailOutcome = 'processed' | 'unreadable' | 'keep';

/** A message as read: its source, or only its size when it is larger than what is read. */
export type MailboxMessage = { readonly source: Buffer } | { readonly tooLarge: number };

export interface MailboxRun {
  /** Messages moved to the processed folder. */
  readonly processed: number;
  /** Messages moved to the unreadable folder (kept, with the reason recorded). */
  readonly unreadable: number;
  /** Messages left in the mailbox for the next run (a failure while handling them, or beyond this run's share). */
  readonly left: number;
}

/** The mailbox TLS reports are mailed to (`mailto:` rua). */
export abstract class ReportMailbox {
  /**
   * Reads the messages waiting, at most `limit`, hands each to `handle`, and moves it where
   * `handle` says; a message whose handling throws stays where it is.
   */
  abstract read(handle: (message: MailboxMessage) => Promise<MailOutcome>, limit: number): Promise<MailboxRun>;
}
