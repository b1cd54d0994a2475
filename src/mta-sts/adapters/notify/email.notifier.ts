import { rootCertificates } from 'node:tls';
import { createTransport } from 'nodemailer';
import type { SMTPTransportOptions } from 'nodemailer';
import { OperationFailedError } from '../../domain/errors';
import { MtaStsNotification, Notifier } from '../../ports/notifier.port';
import type { ResolvedEmailOptions } from './notify-options';

export const SUBJECT_PREFIX = '[MTA-STS] ';

/** nodemailer waits two minutes for a connection and 30 s for the greeting by default. */
const CONNECTION_TIMEOUT_MS = 15_000;
const GREETING_TIMEOUT_MS = 15_000;
const DNS_TIMEOUT_MS = 15_000;
const SOCKET_TIMEOUT_MS = 60_000;

/**
 * Sends each notification as a plain-text e-mail through an SMTP relay with nodemailer,
 * one connection per message. The connection is either TLS from the start (`secure`) or
 * must be upgraded with STARTTLS (`requireTls`, the default), and the relay's certificate
 * is verified. A failure rejects with an `OperationFailedError` naming the relay; the
 * password never appears in it.
 */
export class EmailNotifier extends Notifier {
  constructor(private readonly options: ResolvedEmailOptions) {
    super();
  }

  async notify(notification: MtaStsNotification): Promise<void> {
    const { options } = this;
    const transport = createTransport(this.transportOptions());
    try {
      await transport.sendMail({
        from: options.from,
        to: [...options.to],
        // Header folding is nodemailer's job; a line break inside the subject is not.
        subject: `${SUBJECT_PREFIX}${notification.subject.replace(/[\r\n]+/g, ' ')}`,
        text: notification.text,
        date: notification.at,
      });
    } catch (error) {
      throw new OperationFailedError(`E-mail via ${options.host}:${options.port} failed: ${this.reason(error)}`);
    } finally {
      transport.close();
    }
  }

  private transportOptions(): SMTPTransportOptions {
    const { options } = this;
    const plainLoopback = !options.secure && !options.requireTls;
    return {
      host: options.host,
      port: options.port,
      secure: options.secure,
      requireTLS: !options.secure && options.requireTls,
      // Turning requireTls off is allowed for loopback relays only (see notify-settings.ts).
      // Their certificate names the public host, not 127.0.0.1, so an opportunistic
      // STARTTLS would fail verification; on loopback it would protect nothing anyway.
      ignoreTLS: plainLoopback,
      auth: options.user !== undefined ? { user: options.user, pass: options.pass } : undefined,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: GREETING_TIMEOUT_MS,
      dnsTimeout: DNS_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      tls: {
        minVersion: 'TLSv1.2',
        ca: options.caPem ? [...rootCertificates, options.caPem] : undefined,
      },
    };
  }

  private reason(error: unknown): string {
    const failure = error as { message?: unknown; code?: string; command?: string } | undefined;
    let text = typeof failure?.message === 'string' ? failure.message : String(error);
    const secrets = [this.options.pass, this.credentialsBase64()].filter(
      (value): value is string => value !== undefined && value.length > 0,
    );
    for (const secret of secrets) text = text.split(secret).join('…');
    const hint = this.hint(failure?.code, failure?.command, text);
    return hint ? `${text} (${hint})` : text;
  }

  /** What AUTH PLAIN sends; a relay that echoes the command back must not leak it. */
  private credentialsBase64(): string | undefined {
    const { user, pass } = this.options;
    return user !== undefined && pass !== undefined
      ? Buffer.from(`\u0000${user}\u0000${pass}`).toString('base64')
      : undefined;
  }

  private hint(code: string | undefined, command: string | undefined, text: string): string | undefined {
    if (code === 'EAUTH') return 'check the SMTP user name and password';
    if (code === 'ETLS' || command === 'STARTTLS' || /certificate|STARTTLS|\bTLS\b|SSL/i.test(text)) {
      return this.options.secure
        ? `the relay must speak TLS on this port with a certificate for ${this.options.host} that this host trusts`
        : `the relay must offer STARTTLS with a certificate for ${this.options.host} that this host trusts, or use secure (port 465)`;
    }
    if (code === 'ETIMEDOUT' || code === 'ECONNECTION' || code === 'ESOCKET' || code === 'EDNS') {
      return 'check the SMTP host and port';
    }
    return undefined;
  }
}
