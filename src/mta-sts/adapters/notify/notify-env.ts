import { InvalidOptionError } from '../../domain/errors';
import type { NotificationOptions } from './notify-settings';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Which environment variable feeds which notification option, so that an
 * `InvalidOptionError` from `resolveNotificationOptions` can be reported by variable.
 */
export const NOTIFICATION_VARIABLE_OF_OPTION: Readonly<Record<string, string>> = {
  'notifications.webhookUrl': 'MTA_STS_NOTIFY_WEBHOOK_URL',
  'notifications.webhookSecret': 'MTA_STS_NOTIFY_WEBHOOK_SECRET',
  'notifications.email.to': 'MTA_STS_NOTIFY_EMAIL_TO',
  'notifications.email.from': 'MTA_STS_NOTIFY_EMAIL_FROM',
  'notifications.email.host': 'MTA_STS_SMTP_HOST',
  'notifications.email.port': 'MTA_STS_SMTP_PORT',
  'notifications.email.secure': 'MTA_STS_SMTP_SECURE',
  'notifications.email.requireTls': 'MTA_STS_SMTP_REQUIRE_TLS',
  'notifications.email.user': 'MTA_STS_SMTP_USER',
  'notifications.email.pass': 'MTA_STS_SMTP_PASSWORD',
};

const EMAIL_VARIABLES = [
  'MTA_STS_NOTIFY_EMAIL_TO',
  'MTA_STS_NOTIFY_EMAIL_FROM',
  'MTA_STS_SMTP_HOST',
  'MTA_STS_SMTP_PORT',
  'MTA_STS_SMTP_SECURE',
  'MTA_STS_SMTP_REQUIRE_TLS',
  'MTA_STS_SMTP_USER',
  'MTA_STS_SMTP_PASSWORD',
] as const;

function text(env: Env, variable: string): string | undefined {
  return env[variable]?.trim() || undefined;
}

function list(env: Env, variable: string): string[] {
  return (env[variable] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function port(env: Env, variable: string): number | undefined {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65_535) {
    throw new InvalidOptionError(variable, `"${raw}" must be a whole number from 1 to 65535`);
  }
  return value;
}

function boolean(env: Env, variable: string): boolean | undefined {
  const raw = env[variable]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new InvalidOptionError(variable, `"${env[variable]}" must be true or false`);
}

/**
 * Reads the standalone panel's notification variables. Pure: no defaults beyond what
 * `resolveNotificationOptions` applies, no file or network access. A malformed value
 * throws `InvalidOptionError` whose `option` is the variable's name; the e-mail block is
 * present as soon as one of its variables is set, so a half-configured relay is reported
 * by the resolver (map its option names with {@link NOTIFICATION_VARIABLE_OF_OPTION}).
 * Secrets are taken as given, without trimming, and never appear in errors.
 */
export function parseNotificationEnv(env: Env = process.env): NotificationOptions {
  const options: NotificationOptions = {
    webhookUrl: text(env, 'MTA_STS_NOTIFY_WEBHOOK_URL'),
    webhookSecret: env.MTA_STS_NOTIFY_WEBHOOK_SECRET || undefined,
  };
  if (EMAIL_VARIABLES.some((variable) => (env[variable] ?? '').trim() !== '')) {
    options.email = {
      to: list(env, 'MTA_STS_NOTIFY_EMAIL_TO'),
      from: text(env, 'MTA_STS_NOTIFY_EMAIL_FROM') ?? '',
      host: text(env, 'MTA_STS_SMTP_HOST') ?? '',
      port: port(env, 'MTA_STS_SMTP_PORT'),
      secure: boolean(env, 'MTA_STS_SMTP_SECURE'),
      requireTls: boolean(env, 'MTA_STS_SMTP_REQUIRE_TLS'),
      user: text(env, 'MTA_STS_SMTP_USER'),
      pass: env.MTA_STS_SMTP_PASSWORD || undefined,
    };
  }
  return options;
}
