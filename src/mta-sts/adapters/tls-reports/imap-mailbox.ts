import { Logger } from '@nestjs/common';
import type { ImapFlow } from 'imapflow';
import { rootCertificates } from 'node:tls';
import type { ResolvedImapReports } from '../../options/resolve-reports';
import { MailOutcome, MailboxMessage, MailboxRun, ReportMailbox } from '../../ports/report-mailbox.port';
import { MAIL_LIMIT_BYTES } from './report-mail';

/** A folder option as IMAP path parts: `TLS reports/unreadable` is a child of `TLS reports`, whatever the server's separator. */
const pathOf = (folder: string): string[] => folder.split('/').filter((part) => part !== '');

/**
 * The report mailbox over IMAP with imapflow: TLS from the start or STARTTLS required, the
 * server's certificate verified (with an extra CA when configured). Processed messages move
 * to one folder, unreadable ones to another; nothing is deleted.
 */
export class ImapReportMailbox extends ReportMailbox {
  private readonly logger = new Logger('MtaSts');

  constructor(private readonly options: ResolvedImapReports) {
    super();
  }

  async read(handle: (message: MailboxMessage) => Promise<MailOutcome>, limit: number): Promise<MailboxRun> {
    const { options } = this;
    // Loaded on first use: a panel without a report mailbox never pays for it at start.
    const { ImapFlow } = await import('imapflow');
    const client = new ImapFlow({
      host: options.host,
      port: options.port,
      secure: options.secure,
      // Without TLS from the start, STARTTLS is required: the password never crosses in clear.
      doSTARTTLS: options.secure ? undefined : true,
      auth: { user: options.user, pass: options.password },
      tls: {
        rejectUnauthorized: true,
        ...(options.caPem ? { ca: [...rootCertificates, options.caPem] } : {}),
      },
      logger: false,
      connectionTimeout: 30_000,
      greetingTimeout: 15_000,
      socketTimeout: 120_000,
    });
    await client.connect();
    try {
      for (const folder of [options.processedMailbox, options.unreadableMailbox]) {
        await this.ensureFolder(client, pathOf(folder));
      }
      const lock = await client.getMailboxLock(options.mailbox);
      try {
        const found = await client.search({ all: true }, { uid: true });
        const uids = (found || []).slice(0, limit);
        let processed = 0;
        let unreadable = 0;
        let left = (found || []).length - uids.length;
        for (const uid of uids) {
          const outcome = await this.handleOne(client, uid, handle);
          if (outcome === 'keep') {
            left++;
            continue;
          }
          const target = outcome === 'processed' ? options.processedMailbox : options.unreadableMailbox;
          await client.messageMove(String(uid), pathOf(target), { uid: true });
          if (outcome === 'processed') processed++;
          else unreadable++;
        }
        return { processed, unreadable, left };
      } finally {
        lock.release();
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  private async handleOne(
    client: ImapFlow,
    uid: number,
    handle: (message: MailboxMessage) => Promise<MailOutcome>,
  ): Promise<MailOutcome> {
    const head = await client.fetchOne(String(uid), { uid: true, size: true }, { uid: true });
    if (!head) return 'keep';
    const message =
      (head.size ?? 0) > MAIL_LIMIT_BYTES
        ? { tooLarge: head.size ?? 0 }
        : await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
    if (!message || !('tooLarge' in message || message.source)) return 'keep';
    try {
      return await handle('tooLarge' in message ? message : { source: message.source! });
    } catch (error) {
      this.logger.warn(`TLS report mail ${uid} stays in ${this.options.mailbox}: ${(error as Error).message}`);
      return 'keep';
    }
  }

  private async ensureFolder(client: ImapFlow, path: string[]): Promise<void> {
    try {
      await client.mailboxCreate(path);
    } catch (error) {
      // Already there: ALREADYEXISTS, or a server that says it another way.
      const text = `${(error as { serverResponseCode?: string }).serverResponseCode ?? ''} ${(error as Error).message}`;
      if (!/ALREADYEXISTS|exists/i.test(text)) throw error;
    }
  }
}
