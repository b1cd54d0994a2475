import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '../../src/mta-sts/domain/errors';
import { EmailNotifier } from '../../src/mta-sts/adapters/notify/email.notifier';
import { FanoutNotifier } from '../../src/mta-sts/adapters/notify/fanout.notifier';
import { NOTIFICATION_VARIABLE_OF_OPTION, parseNotificationEnv } from '../../src/panel/notify-env';
import {
  createNotifier,
  NotificationOptions,
  resolveNotificationOptions,
} from '../../src/mta-sts/adapters/notify/notify-settings';
import { WebhookNotifier } from '../../src/mta-sts/adapters/notify/webhook.notifier';

const SECRET = 'a-shared-secret-of-32-characters';
const EMAIL = { to: ['admin@example.com'], from: 'mta-sts@example.com', host: 'smtp.example.com' };

function optionError(options: NotificationOptions): InvalidOptionError {
  try {
    resolveNotificationOptions(options);
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw new Error(`expected InvalidOptionError, got ${String(error)}`);
  }
  throw new Error(`expected ${JSON.stringify(options)} to be refused`);
}

function envError(env: Record<string, string>): InvalidOptionError {
  try {
    parseNotificationEnv(env);
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw new Error(`expected InvalidOptionError, got ${String(error)}`);
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('resolveNotificationOptions', () => {
  it('configures no channel when nothing is set', () => {
    expect(resolveNotificationOptions({})).toEqual({ webhook: undefined, email: undefined });
    expect(resolveNotificationOptions(undefined)).toEqual({ webhook: undefined, email: undefined });
  });

  describe('webhook', () => {
    it('applies the 10 s time limit by default', () => {
      expect(resolveNotificationOptions({ webhookUrl: 'https://hooks.example.com/mta-sts' }).webhook).toEqual({
        url: 'https://hooks.example.com/mta-sts',
        secret: undefined,
        timeoutMs: 10_000,
      });
    });

    it('keeps the secret and a custom time limit', () => {
      const resolved = resolveNotificationOptions({
        webhookUrl: 'http://127.0.0.1:8080/hook',
        webhookSecret: SECRET,
        webhookTimeoutMs: 2_500,
      });
      expect(resolved.webhook).toEqual({ url: 'http://127.0.0.1:8080/hook', secret: SECRET, timeoutMs: 2_500 });
    });

    it('refuses something that is not a URL without echoing it', () => {
      const error = optionError({ webhookUrl: 'hooks.example.com/secret-token' });
      expect(error.option).toBe('notifications.webhookUrl');
      expect(error.message).toMatch(/^notifications\.webhookUrl: is not a URL/);
      expect(error.message).not.toContain('secret-token');
    });

    it('refuses schemes other than http and https', () => {
      const error = optionError({ webhookUrl: 'ftp://hooks.example.com/x' });
      expect(error.option).toBe('notifications.webhookUrl');
      expect(error.message).toContain('must be an http:// or https:// URL, not ftp://');
    });

    it('refuses a user name and password in the URL without echoing them', () => {
      const error = optionError({ webhookUrl: 'https://bob:hunter2hunter2@hooks.example.com/x' });
      expect(error.option).toBe('notifications.webhookUrl');
      expect(error.message).toContain('must not contain a user name or password');
      expect(error.message).not.toContain('hunter2');
    });

    it('refuses a short secret without echoing it', () => {
      const error = optionError({ webhookUrl: 'https://hooks.example.com/x', webhookSecret: 'short-secret' });
      expect(error.option).toBe('notifications.webhookSecret');
      expect(error.message).toContain('at least 16 characters');
      expect(error.message).not.toContain('short-secret');
    });

    it('refuses a secret without a URL', () => {
      expect(optionError({ webhookSecret: SECRET }).option).toBe('notifications.webhookSecret');
    });

    it.each([0, -1, 1.5, 120_001])('refuses the time limit %s', (webhookTimeoutMs) => {
      const error = optionError({ webhookUrl: 'https://hooks.example.com/x', webhookTimeoutMs });
      expect(error.option).toBe('notifications.webhookTimeoutMs');
      expect(error.message).toContain('from 1 to 120000');
    });
  });

  describe('e-mail', () => {
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mta-sts-notify-settings-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('uses STARTTLS on port 587 with TLS required by default', () => {
      expect(resolveNotificationOptions({ email: EMAIL }).email).toEqual({
        to: ['admin@example.com'],
        from: 'mta-sts@example.com',
        host: 'smtp.example.com',
        port: 587,
        secure: false,
        requireTls: true,
        user: undefined,
        pass: undefined,
        caPem: undefined,
      });
    });

    it('uses port 465 with implicit TLS', () => {
      const resolved = resolveNotificationOptions({ email: { ...EMAIL, secure: true } }).email;
      expect([resolved?.port, resolved?.secure]).toEqual([465, true]);
    });

    it('reads the extra CA file', () => {
      const file = join(dir, 'ca.pem');
      writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      expect(resolveNotificationOptions({ email: { ...EMAIL, caFile: file } }).email?.caPem).toContain(
        'BEGIN CERTIFICATE',
      );
    });

    it('refuses a CA file that cannot be read or holds no certificate', () => {
      const missing = optionError({ email: { ...EMAIL, caFile: join(dir, 'missing.pem') } });
      expect(missing.option).toBe('notifications.email.caFile');
      expect(missing.message).toContain('cannot read');
      const file = join(dir, 'empty.pem');
      writeFileSync(file, 'nothing here\n');
      const empty = optionError({ email: { ...EMAIL, caFile: file } });
      expect(empty.option).toBe('notifications.email.caFile');
      expect(empty.message).toContain('holds no PEM certificate');
    });

    it('allows plain SMTP to a loopback relay when TLS is explicitly not required', () => {
      for (const host of ['localhost', '127.0.0.1', '::1']) {
        expect(resolveNotificationOptions({ email: { ...EMAIL, host, requireTls: false } }).email?.requireTls).toBe(
          false,
        );
      }
    });

    it('refuses to turn off TLS for a relay that is not on loopback', () => {
      const error = optionError({ email: { ...EMAIL, requireTls: false } });
      expect(error.option).toBe('notifications.email.requireTls');
      expect(error.message).toContain('only for a relay on a loopback address, not smtp.example.com');
    });

    it('refuses an empty recipient list', () => {
      const error = optionError({ email: { ...EMAIL, to: [] } });
      expect(error.option).toBe('notifications.email.to');
      expect(error.message).toContain('at least one recipient');
    });

    it.each([
      'admin',
      'admin@localhost',
      'Admin <admin@example.com>',
      'a@example.com,b@example.com',
      'a@exa\r\nmple.com',
    ])('refuses the recipient %j', (to) => {
      const error = optionError({ email: { ...EMAIL, to: ['ok@example.com', to] } });
      expect(error.option).toBe('notifications.email.to');
      expect(error.message).toContain('is not an e-mail address');
    });

    it('requires a sender', () => {
      const error = optionError({ email: { ...EMAIL, from: '' } });
      expect(error.option).toBe('notifications.email.from');
      expect(error.message).toContain('is required');
    });

    it('refuses a sender that is not an address', () => {
      expect(optionError({ email: { ...EMAIL, from: 'mta-sts' } }).option).toBe('notifications.email.from');
    });

    it.each(['', 'smtp example.com', 'smtp.example.com:587'])('refuses the relay host %j', (host) => {
      expect(optionError({ email: { ...EMAIL, host } }).option).toBe('notifications.email.host');
    });

    it.each([0, 65_536, 25.5])('refuses the port %s', (port) => {
      const error = optionError({ email: { ...EMAIL, port } });
      expect(error.option).toBe('notifications.email.port');
      expect(error.message).toContain('from 1 to 65535');
    });

    it('refuses a user without a password and a password without a user, never echoing the password', () => {
      expect(optionError({ email: { ...EMAIL, user: 'notifier' } }).option).toBe('notifications.email.pass');
      const error = optionError({ email: { ...EMAIL, pass: 'p4ssw0rd-p4ssw0rd' } });
      expect(error.option).toBe('notifications.email.user');
      expect(error.message).not.toContain('p4ssw0rd');
    });
  });
});

describe('createNotifier', () => {
  it('returns nothing when no channel is configured', () => {
    expect(createNotifier(resolveNotificationOptions({}))).toBeUndefined();
  });

  it('returns the one configured channel', () => {
    expect(createNotifier(resolveNotificationOptions({ webhookUrl: 'https://hooks.example.com/x' }))).toBeInstanceOf(
      WebhookNotifier,
    );
    expect(createNotifier(resolveNotificationOptions({ email: EMAIL }))).toBeInstanceOf(EmailNotifier);
  });

  it('fans out when both are configured', () => {
    const notifier = createNotifier(
      resolveNotificationOptions({ webhookUrl: 'https://hooks.example.com/x', email: EMAIL }),
    );
    expect(notifier).toBeInstanceOf(FanoutNotifier);
  });
});

describe('parseNotificationEnv', () => {
  it('reads nothing from an empty environment', () => {
    expect(parseNotificationEnv({})).toEqual({ webhookUrl: undefined, webhookSecret: undefined });
  });

  it('reads every variable', () => {
    expect(
      parseNotificationEnv({
        MTA_STS_NOTIFY_WEBHOOK_URL: ' https://hooks.example.com/x ',
        MTA_STS_NOTIFY_WEBHOOK_SECRET: SECRET,
        MTA_STS_NOTIFY_EMAIL_TO: 'admin@example.com, ops@example.org,,',
        MTA_STS_NOTIFY_EMAIL_FROM: 'mta-sts@example.com',
        MTA_STS_SMTP_HOST: 'smtp.example.com',
        MTA_STS_SMTP_PORT: '465',
        MTA_STS_SMTP_SECURE: 'true',
        MTA_STS_SMTP_REQUIRE_TLS: 'yes',
        MTA_STS_SMTP_USER: 'notifier',
        MTA_STS_SMTP_PASSWORD: ' spaces kept ',
      }),
    ).toEqual({
      webhookUrl: 'https://hooks.example.com/x',
      webhookSecret: SECRET,
      email: {
        to: ['admin@example.com', 'ops@example.org'],
        from: 'mta-sts@example.com',
        host: 'smtp.example.com',
        port: 465,
        secure: true,
        requireTls: true,
        user: 'notifier',
        pass: ' spaces kept ',
      },
    });
  });

  it('leaves port, secure and TLS to the resolver defaults when unset', () => {
    const options = parseNotificationEnv({
      MTA_STS_NOTIFY_EMAIL_TO: 'admin@example.com',
      MTA_STS_NOTIFY_EMAIL_FROM: 'mta-sts@example.com',
      MTA_STS_SMTP_HOST: 'smtp.example.com',
    });
    expect(resolveNotificationOptions(options).email).toMatchObject({ port: 587, secure: false, requireTls: true });
  });

  it.each([
    ['MTA_STS_SMTP_PORT', '0', 'must be a whole number from 1 to 65535'],
    ['MTA_STS_SMTP_PORT', 'smtp', 'must be a whole number from 1 to 65535'],
    ['MTA_STS_SMTP_SECURE', 'maybe', 'must be true or false'],
    ['MTA_STS_SMTP_REQUIRE_TLS', 'sometimes', 'must be true or false'],
  ])('names %s when it is %j', (variable, value, message) => {
    const error = envError({ [variable]: value });
    expect(error.option).toBe(variable);
    expect(error.message).toBe(`${variable}: "${value}" ${message}`);
  });

  it.each([
    [{ MTA_STS_SMTP_HOST: 'smtp.example.com' }, 'MTA_STS_NOTIFY_EMAIL_TO'],
    [
      { MTA_STS_NOTIFY_EMAIL_TO: 'admin@example.com', MTA_STS_SMTP_HOST: 'smtp.example.com' },
      'MTA_STS_NOTIFY_EMAIL_FROM',
    ],
    [{ MTA_STS_NOTIFY_EMAIL_TO: 'admin@example.com', MTA_STS_NOTIFY_EMAIL_FROM: 'a@example.com' }, 'MTA_STS_SMTP_HOST'],
    [
      { MTA_STS_NOTIFY_EMAIL_TO: 'not-an-address', MTA_STS_NOTIFY_EMAIL_FROM: 'a@example.com' },
      'MTA_STS_NOTIFY_EMAIL_TO',
    ],
    [
      {
        ...{ MTA_STS_NOTIFY_EMAIL_TO: 'a@example.com', MTA_STS_NOTIFY_EMAIL_FROM: 'a@example.com' },
        MTA_STS_SMTP_HOST: 'smtp.example.com',
        MTA_STS_SMTP_REQUIRE_TLS: 'false',
      },
      'MTA_STS_SMTP_REQUIRE_TLS',
    ],
    [
      {
        MTA_STS_NOTIFY_EMAIL_TO: 'a@example.com',
        MTA_STS_NOTIFY_EMAIL_FROM: 'a@example.com',
        MTA_STS_SMTP_HOST: 'smtp.example.com',
        MTA_STS_SMTP_USER: 'u',
      },
      'MTA_STS_SMTP_PASSWORD',
    ],
    [{ MTA_STS_NOTIFY_WEBHOOK_URL: 'gopher://x' }, 'MTA_STS_NOTIFY_WEBHOOK_URL'],
    [{ MTA_STS_NOTIFY_WEBHOOK_SECRET: SECRET }, 'MTA_STS_NOTIFY_WEBHOOK_SECRET'],
  ])('maps the resolver error for %j to %s', (env, variable) => {
    const error = optionError(parseNotificationEnv(env));
    expect(NOTIFICATION_VARIABLE_OF_OPTION[error.option]).toBe(variable);
  });

  it('gives each mapped option a variable of its own', () => {
    const options = Object.keys(NOTIFICATION_VARIABLE_OF_OPTION);
    expect(new Set(Object.values(NOTIFICATION_VARIABLE_OF_OPTION)).size).toBe(options.length);
    expect(options.every((option) => option.startsWith('notifications.'))).toBe(true);
  });
});
