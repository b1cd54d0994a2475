import { createHmac } from 'node:crypto';
import { OperationFailedError } from '../../domain/errors';
import { MtaStsNotification, Notifier } from '../../ports/notifier.port';
import type { ResolvedWebhookOptions } from './notify-options';

/** The JSON body of a webhook POST. */
export interface WebhookPayload {
  readonly kind: string;
  readonly domain: string;
  readonly subject: string;
  readonly text: string;
  /** ISO 8601, UTC. */
  readonly at: string;
  /** `{}` when the notification carries no details. */
  readonly details: Readonly<Record<string, unknown>>;
}

export const SIGNATURE_HEADER = 'X-MTA-STS-Signature';

/** `sha256=` followed by the lower-case hex HMAC-SHA256 of `body` under `secret`. */
export function webhookSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * POSTs each notification as JSON to one URL with Node's `fetch`.
 *
 * Request: `Content-Type: application/json`, `User-Agent: mta-sts-module`, body
 * `{ kind, domain, subject, text, at, details }` (see {@link WebhookPayload}).
 *
 * Signature: when a shared secret is configured, the request carries
 * `X-MTA-STS-Signature: sha256=<hex>`, where `<hex>` is the HMAC-SHA256 of the raw request
 * body bytes exactly as received, keyed with the secret (the scheme GitHub's
 * `X-Hub-Signature-256` uses). A receiver recomputes it over the body before parsing the
 * JSON and compares with a constant-time comparison (`crypto.timingSafeEqual`). `at` is
 * inside the signed body, so a receiver may also refuse old deliveries to limit replays.
 *
 * Any answer other than 2xx, redirects included (they are not followed, so the signed
 * body never goes to another URL), a network error, or no answer within the time limit
 * rejects with an `OperationFailedError` naming the URL's host (never its path or query,
 * which often hold a token) and the status.
 */
export class WebhookNotifier extends Notifier {
  private readonly url: URL;

  constructor(private readonly options: ResolvedWebhookOptions) {
    super();
    this.url = new URL(options.url);
  }

  async notify(notification: MtaStsNotification): Promise<void> {
    const payload: WebhookPayload = {
      kind: notification.kind,
      domain: notification.domain,
      subject: notification.subject,
      text: notification.text,
      at: notification.at.toISOString(),
      details: notification.details ?? {},
    };
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'mta-sts-module',
    };
    if (this.options.secret !== undefined) headers[SIGNATURE_HEADER] = webhookSignature(this.options.secret, body);
    const target = `Webhook to ${this.url.host}`;
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
        throw new OperationFailedError(`${target} failed: no answer within ${this.options.timeoutMs} ms.`);
      }
      throw new OperationFailedError(`${target} failed: ${this.redact(networkReason(error))}.`);
    }
    // The answer's body is not used; cancelling it releases the connection.
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) {
      const reason = response.statusText ? ` ${response.statusText}` : '';
      throw new OperationFailedError(`${target} failed: HTTP ${response.status}${reason}.`);
    }
  }

  /** Error texts come from undici and the OS; keep the URL's path, query and the secret out of them. */
  private redact(message: string): string {
    const hidden = [this.options.secret, this.url.href, `${this.url.pathname}${this.url.search}`];
    return hidden
      .filter((value): value is string => value !== undefined && value.length > 1)
      .reduce((text, value) => text.split(value).join('…'), message);
  }
}

/** undici reports "fetch failed" and puts the socket error (ECONNREFUSED, ENOTFOUND, ...) in `cause`. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}
