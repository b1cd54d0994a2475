import { isIP } from 'node:net';
import { InvalidOptionError } from '../../domain/errors';
import { Notifier } from '../../ports/notifier.port';
import { EmailNotifier } from './email.notifier';
import { FanoutNotifier } from './fanout.notifier';
import { WebhookNotifier } from './webhook.notifier';
import { readPemOption } from '../../options/pem-option';
import { SYSTEM_HOST_FACTS } from '../../options/host-facts';
import type { HostFacts } from '../../options/host-facts';

import type {
  NotificationOptions,
  ResolvedEmailOptions,
  ResolvedNotificationOptions,
  ResolvedWebhookOptions,
} from './notify-options';

export type { NotificationOptions, ResolvedNotificationOptions } from './notify-options';

const PREFIX = 'notifications';
const WEBHOOK_TIMEOUT_DEFAULT_MS = 10_000;
const WEBHOOK_SECRET_MIN_LENGTH = 16;
/** A bare address: no display name, no list separators, no whitespace (which also keeps CR/LF out of headers). */
const ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+\.[^\s@<>,;:"()[\]\\]+$/;
const HOST_NAME =
  /^(?=.{1,253}$)[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?)*\.?$/;

function given(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The URL's text is never echoed: a webhook URL often carries a token in its path or query. */
function webhookUrl(value: string): string {
  const option = `${PREFIX}.webhookUrl`;
  // The URL parser drops tabs and line breaks silently: a value holding them is a mistake.
  if (/[\u0000-\u001f\u007f\s]/.test(value.trim())) {
    throw new InvalidOptionError(option, 'must not contain spaces or control characters');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError(option, 'is not a URL (e.g. https://hooks.example.com/mta-sts)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidOptionError(option, `must be an http:// or https:// URL, not ${url.protocol}//`);
  }
  if (url.username !== '' || url.password !== '') {
    // fetch refuses such URLs; the shared secret is the way to authenticate the sender.
    throw new InvalidOptionError(option, 'must not contain a user name or password; use the webhook secret instead');
  }
  return url.href;
}

function integer(option: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < min || result > max) {
    throw new InvalidOptionError(option, `must be a whole number from ${min} to ${max}`);
  }
  return result;
}

function address(option: string, value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!ADDRESS.test(text)) {
    throw new InvalidOptionError(option, `"${String(value)}" is not an e-mail address (e.g. admin@example.com)`);
  }
  return text;
}

function relayHost(value: string | undefined): string {
  const host = given(value);
  if (host === undefined) {
    throw new InvalidOptionError(`${PREFIX}.email.host`, 'must name the SMTP relay (host name or IP address)');
  }
  if (isIP(host) === 0 && !HOST_NAME.test(host)) {
    throw new InvalidOptionError(`${PREFIX}.email.host`, `"${host}" is not a host name or IP address`);
  }
  return host;
}

function isLoopback(host: string): boolean {
  const lower = host.toLowerCase().replace(/\.$/, '');
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  if (isIP(lower) === 4) return lower.startsWith('127.');
  return lower === '::1' || lower === '0:0:0:0:0:0:0:1';
}

function resolveWebhook(raw: NotificationOptions): ResolvedWebhookOptions | undefined {
  const url = given(raw.webhookUrl);
  const secret = raw.webhookSecret || undefined;
  if (url === undefined) {
    if (secret !== undefined) {
      throw new InvalidOptionError(`${PREFIX}.webhookSecret`, 'is set but there is no webhook URL');
    }
    return undefined;
  }
  if (secret !== undefined && secret.length < WEBHOOK_SECRET_MIN_LENGTH) {
    throw new InvalidOptionError(
      `${PREFIX}.webhookSecret`,
      `must be at least ${WEBHOOK_SECRET_MIN_LENGTH} characters long`,
    );
  }
  return {
    url: webhookUrl(url),
    secret,
    timeoutMs: integer(`${PREFIX}.webhookTimeoutMs`, raw.webhookTimeoutMs, WEBHOOK_TIMEOUT_DEFAULT_MS, 1, 120_000),
  };
}

function resolveEmail(raw: NotificationOptions['email'], facts: HostFacts): ResolvedEmailOptions | undefined {
  if (raw === undefined || raw === null) return undefined;
  const option = `${PREFIX}.email`;
  const recipients = Array.isArray(raw.to) ? raw.to : raw.to === undefined ? [] : [raw.to];
  if (recipients.length === 0) {
    throw new InvalidOptionError(`${option}.to`, 'needs at least one recipient address');
  }
  const to = recipients.map((value) => address(`${option}.to`, value));
  if (given(raw.from) === undefined) {
    throw new InvalidOptionError(
      `${option}.from`,
      'is required to send e-mail (a bare address, e.g. mta-sts@example.com)',
    );
  }
  const from = address(`${option}.from`, raw.from);
  const host = relayHost(raw.host);
  const secure = raw.secure ?? false;
  const requireTls = raw.requireTls ?? true;
  if (!secure && !requireTls && !isLoopback(host)) {
    throw new InvalidOptionError(
      `${option}.requireTls`,
      `may be turned off only for a relay on a loopback address, not ${host}; use STARTTLS or secure (port 465)`,
    );
  }
  const user = raw.user || undefined;
  const pass = raw.pass || undefined;
  if (user !== undefined && pass === undefined) {
    throw new InvalidOptionError(`${option}.pass`, 'is required together with the SMTP user name');
  }
  if (pass !== undefined && user === undefined) {
    throw new InvalidOptionError(`${option}.user`, 'is required together with the SMTP password');
  }
  return {
    to,
    from,
    host,
    port: integer(`${option}.port`, raw.port, secure ? 465 : 587, 1, 65_535),
    secure,
    requireTls,
    user,
    pass,
    caPem: readPemOption(`${option}.caFile`, given(raw.caFile), facts),
  };
}

/**
 * Applies defaults and checks the notification options, failing fast with the option's
 * name (`notifications.webhookUrl`, `notifications.email.to`, ...). Secrets and webhook
 * URLs are never echoed in the messages. Reads `email.caFile`; nothing touches the network.
 */
export function resolveNotificationOptions(
  raw: NotificationOptions | undefined,
  facts: HostFacts = SYSTEM_HOST_FACTS,
): ResolvedNotificationOptions {
  const options = raw ?? {};
  return { webhook: resolveWebhook(options), email: resolveEmail(options.email, facts) };
}

/** The notifier for the configured channels: none, one, or a fan-out to both. */
export function createNotifier(resolved: ResolvedNotificationOptions): Notifier | undefined {
  const channels: Record<string, Notifier> = {};
  if (resolved.webhook) channels.webhook = new WebhookNotifier(resolved.webhook);
  if (resolved.email) channels.email = new EmailNotifier(resolved.email);
  const notifiers = Object.values(channels);
  if (notifiers.length === 0) return undefined;
  if (notifiers.length === 1) return notifiers[0];
  return new FanoutNotifier(channels);
}
