import type { NotificationOptions } from '../index';
import { Env, envBoolean, envInteger, envText } from './env-values';

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

function list(env: Env, variable: string): string[] {
  return (env[variable] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export function parseNotificationEnv(env: Env = process.env): NotificationOptions {
  const options: NotificationOptions = {
    webhookUrl: envText(env, 'MTA_STS_NOTIFY_WEBHOOK_URL'),
    webhookSecret: env.MTA_STS_NOTIFY_WEBHOOK_SECRET || undefined,
  };
  if (EMAIL_VARIABLES.some((variable) => (env[variable] ?? '').trim() !== '')) {
    options.email = {
      to: list(env, 'MTA_STS_NOTIFY_EMAIL_TO'),
      from: envText(env, 'MTA_STS_NOTIFY_EMAIL_FROM') ?? '',
      host: envText(env, 'MTA_STS_SMTP_HOST') ?? '',
      port: envInteger(env, 'MTA_STS_SMTP_PORT', 1, 65_535),
      secure: envBoolean(env, 'MTA_STS_SMTP_SECURE'),
      requireTls: envBoolean(env, 'MTA_STS_SMTP_REQUIRE_TLS'),
      user: envText(env, 'MTA_STS_SMTP_USER'),
      pass: env.MTA_STS_SMTP_PASSWORD || undefined,
    };
  }
  return options;
}
