import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { MAIL_LIMIT_BYTES, readReportMail } from '../adapters/tls-reports/report-mail';
import { DnsResolver } from '../ports/dns-resolver.port';
import { MailOutcome, MailboxMessage, MailboxRun, ReportMailbox } from '../ports/report-mailbox.port';
import { ReportIntake } from './report-intake';

/** Messages read per run; the rest wait for the next. */
const MESSAGES_PER_RUN = 500;

/**
 * Reads the report mailbox (`mailto:` rua): each message's TLS report parts go through the
 * same intake as HTTPS reports, with the message's DKIM verdict. A message with a report
 * stored moves to the processed folder; one with nothing readable moves to the unreadable
 * folder and is recorded as rejected with the reason; one that fails for another reason
 * (the database away) stays for the next run. Nothing is deleted.
 */
@Injectable()
export class MailboxIntake {
  private readonly logger = new Logger('MtaSts');
  private running: Promise<MailboxRun | undefined> | undefined;

  constructor(
    private readonly intake: ReportIntake,
    @Inject(DnsResolver) private readonly dns: DnsResolver,
    @Optional() @Inject(ReportMailbox) private readonly mailbox?: ReportMailbox | null,
  ) {}

  /** Whether a mailbox is configured (`reports.imap`). */
  get configured(): boolean {
    return Boolean(this.mailbox);
  }

  /** Reads the mailbox once; a run already going is joined. Undefined without a mailbox. */
  poll(): Promise<MailboxRun | undefined> {
    if (!this.mailbox) return Promise.resolve(undefined);
    this.running ??= this.mailbox
      .read((message) => this.handle(message), MESSAGES_PER_RUN)
      .then((run) => {
        if (run.processed + run.unreadable > 0) {
          this.logger.log(
            `Report mailbox: ${run.processed} processed, ${run.unreadable} unreadable, ${run.left} left.`,
          );
        }
        return run;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async handle(message: MailboxMessage): Promise<MailOutcome> {
    if ('tooLarge' in message) {
      await this.intake.reject(
        Buffer.alloc(0),
        `the message is ${message.tooLarge} bytes, more than the ${MAIL_LIMIT_BYTES} read`,
        'mailto',
      );
      return 'unreadable';
    }
    let mail;
    try {
      mail = await readReportMail(message.source, this.dns);
    } catch (error) {
      await this.intake.reject(message.source, `the message cannot be parsed: ${(error as Error).message}`, 'mailto');
      return 'unreadable';
    }
    if (mail.reports.length === 0) {
      await this.intake.reject(
        message.source,
        'the message holds no TLS report (no application/tlsrpt+gzip or +json part, no .json.gz or .json attachment)',
        'mailto',
        mail.dkim,
      );
      return 'unreadable';
    }
    let readable = false;
    for (const part of mail.reports) {
      const outcome = await this.intake.receive(part.body, part.contentType, 'mailto', {
        fileName: part.fileName,
        dkim: mail.dkim,
      });
      if (outcome.outcome !== 'rejected') readable = true;
    }
    return readable ? 'processed' : 'unreadable';
  }
}
