import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, SMTPServerOptions } from 'smtp-server';
import { OperationFailedError } from '../../src/mta-sts/domain/errors';
import { EmailNotifier } from '../../src/mta-sts/adapters/notify/email.notifier';
import { FanoutNotifier, NotificationDeliveryError } from '../../src/mta-sts/adapters/notify/fanout.notifier';
import { createNotifier, resolveNotificationOptions } from '../../src/mta-sts/adapters/notify/notify-settings';
import type { NotificationOptions, ResolvedEmailOptions } from '../../src/mta-sts/adapters/notify/notify-options';
import { WebhookNotifier } from '../../src/mta-sts/adapters/notify/webhook.notifier';
import { MtaStsNotification, Notifier } from '../../src/mta-sts/ports/notifier.port';
import { TestCa } from '../support/test-ca';

const SECRET = 'webhook-shared-secret-0123456789';
const PATH_TOKEN = 'T0KEN-in-the-path';
const SMTP_USER = 'notifier';
const SMTP_PASS = 'correct horse battery staple';

const NOTIFICATION: MtaStsNotification = {
  kind: 'badge-changed',
  domain: 'example.com',
  subject: 'example.com: MTA-STS is now failing',
  text: 'The policy host no longer answers over HTTPS.\nCheck nginx on this server.',
  at: new Date('2025-03-04T05:06:07.089Z'),
  details: { before: 'pass', after: 'fail' },
};

// ---------------------------------------------------------------- webhook receiver

interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A `node:http` server on 127.0.0.1 that records each request and answers with `status`, or never when `null`. */
class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  status: number | null = 204;
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
        if (this.status === null) return;
        if (this.status >= 300 && this.status < 400) res.setHeader('Location', `${this.baseUrl}/elsewhere`);
        res.writeHead(this.status).end(this.status >= 400 ? 'receiver broke' : undefined);
      });
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get host(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------- SMTP relay

interface ReceivedMail {
  readonly mailFrom: string;
  readonly rcptTo: string[];
  readonly user?: string;
  readonly secure: boolean;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Splits a raw RFC 5322 message into unfolded headers (lower-case names) and the body. */
function parseMessage(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: raw.slice(split + 4) };
}

/** A real `smtp-server` relay on 127.0.0.1 that keeps what it receives. */
class SmtpRelay {
  readonly mails: ReceivedMail[] = [];
  private readonly server: SMTPServer;

  constructor(options: SMTPServerOptions) {
    this.server = new SMTPServer({
      logger: false,
      disableReverseLookup: true,
      ...options,
      onAuth: (auth, _session, callback) => {
        if (auth.username === SMTP_USER && auth.password === SMTP_PASS) return callback(null, { user: auth.username });
        // Echoes the password back, as a careless relay might; the notifier must not repeat it.
        callback(new Error(`Authentication failed for ${auth.username}/${auth.password}`));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const envelope = session.envelope;
          this.mails.push({
            mailFrom: envelope.mailFrom ? envelope.mailFrom.address : '',
            rcptTo: envelope.rcptTo.map((rcpt) => rcpt.address),
            user: session.user as string | undefined,
            secure: session.secure,
            ...parseMessage(Buffer.concat(chunks).toString('utf8')),
          });
          callback();
        });
      },
    });
    this.server.on('error', () => undefined);
  }

  get port(): number {
    return (this.server.server.address() as AddressInfo).port;
  }

  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the delivery to fail');
}

/** A port on 127.0.0.1 nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// ---------------------------------------------------------------- tests

describe('WebhookNotifier against a node:http receiver', () => {
  const receiver = new WebhookReceiver();

  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.status = 204;
  });

  function webhook(options: Partial<NotificationOptions> = {}): Notifier {
    const resolved = resolveNotificationOptions({ webhookUrl: `${receiver.baseUrl}/hooks/${PATH_TOKEN}`, ...options });
    return new WebhookNotifier(resolved.webhook!);
  }

  it('posts the notification as JSON with the content type and user agent', async () => {
    await webhook().notify(NOTIFICATION);

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`/hooks/${PATH_TOKEN}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('mta-sts-module');
    expect(JSON.parse(request.body.toString('utf8'))).toEqual({
      kind: 'badge-changed',
      domain: 'example.com',
      subject: 'example.com: MTA-STS is now failing',
      text: 'The policy host no longer answers over HTTPS.\nCheck nginx on this server.',
      at: '2025-03-04T05:06:07.089Z',
      details: { before: 'pass', after: 'fail' },
    });
  });

  it('sends an empty details object when the notification has none', async () => {
    await webhook().notify({ ...NOTIFICATION, details: undefined });

    expect(JSON.parse(receiver.requests[0].body.toString('utf8')).details).toEqual({});
  });

  it('signs the raw body with HMAC-SHA256 of the shared secret', async () => {
    await webhook({ webhookSecret: SECRET }).notify(NOTIFICATION);

    const [request] = receiver.requests;
    const header = request.headers['x-mta-sts-signature'];
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`);
    expect(timingSafeEqual(Buffer.from(header as string), expected)).toBe(true);
    const forged = Buffer.from(
      `sha256=${createHmac('sha256', 'another-secret-0123456').update(request.body).digest('hex')}`,
    );
    expect(timingSafeEqual(Buffer.from(header as string), forged)).toBe(false);
  });

  it('sends no signature header without a secret', async () => {
    await webhook().notify(NOTIFICATION);

    expect(receiver.requests[0].headers['x-mta-sts-signature']).toBeUndefined();
  });

  it('rejects on a 500 answer, naming the host and the status but not the path or the secret', async () => {
    receiver.status = 500;

    const error = await rejection(webhook({ webhookSecret: SECRET }).notify(NOTIFICATION));

    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error.message).toBe(`Webhook to ${receiver.host} failed: HTTP 500 Internal Server Error.`);
    expect(error.message).not.toContain(PATH_TOKEN);
    expect(error.message).not.toContain(SECRET);
  });

  it('treats a redirect as a failure and does not follow it', async () => {
    receiver.status = 302;

    const error = await rejection(webhook().notify(NOTIFICATION));

    expect(error.message).toContain(`Webhook to ${receiver.host} failed: HTTP 302`);
    expect(receiver.requests.map((request) => request.url)).toEqual([`/hooks/${PATH_TOKEN}`]);
  });

  it('gives up on a receiver that never answers after the time limit', async () => {
    receiver.status = null;
    const started = Date.now();

    const error = await rejection(webhook({ webhookTimeoutMs: 300 }).notify(NOTIFICATION));

    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error.message).toBe(`Webhook to ${receiver.host} failed: no answer within 300 ms.`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects when nothing listens, naming the host and the socket error', async () => {
    const port = await closedPort();
    const notifier = new WebhookNotifier(
      resolveNotificationOptions({ webhookUrl: `http://127.0.0.1:${port}/hooks/${PATH_TOKEN}` }).webhook!,
    );

    const error = await rejection(notifier.notify(NOTIFICATION));

    expect(error.message).toMatch(new RegExp(`^Webhook to 127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`));
    expect(error.message).not.toContain(PATH_TOKEN);
  });
});

describe('EmailNotifier against a real smtp-server relay', () => {
  let ca: TestCa;
  let key: string;
  let cert: string;
  let caDir: string;
  let caFile: string;
  const relays: SmtpRelay[] = [];

  beforeAll(async () => {
    ca = await TestCa.create('Notifier Test CA');
    const issued = await ca.issue(['localhost']);
    key = issued.privateKeyPem;
    cert = issued.certificatePem;
    caDir = mkdtempSync(join(tmpdir(), 'mta-sts-notify-'));
    caFile = join(caDir, 'ca.pem');
    writeFileSync(caFile, ca.certificatePem);
  });

  afterAll(async () => {
    await Promise.all(relays.map((relay) => relay.stop()));
    rmSync(caDir, { recursive: true, force: true });
  });

  async function relay(options: SMTPServerOptions): Promise<SmtpRelay> {
    const started = new SmtpRelay({ key, cert, ...options });
    relays.push(started);
    await started.start();
    return started;
  }

  /** The relay's certificate names `localhost`, which is where the notifier connects. */
  function email(port: number, options: Partial<NonNullable<NotificationOptions['email']>> = {}): EmailNotifier {
    const resolved = resolveNotificationOptions({
      email: {
        to: ['admin@example.com', 'ops@example.org'],
        from: 'mta-sts@example.com',
        host: 'localhost',
        port,
        caFile,
        ...options,
      },
    });
    return new EmailNotifier(resolved.email as ResolvedEmailOptions);
  }

  it('delivers a plain-text mail over STARTTLS with From, To and a prefixed Subject', async () => {
    const server = await relay({ authOptional: true });

    await email(server.port).notify(NOTIFICATION);

    expect(server.mails).toHaveLength(1);
    const [mail] = server.mails;
    expect(mail.secure).toBe(true);
    expect(mail.mailFrom).toBe('mta-sts@example.com');
    expect(mail.rcptTo).toEqual(['admin@example.com', 'ops@example.org']);
    expect(mail.headers.from).toBe('mta-sts@example.com');
    expect(mail.headers.to).toBe('admin@example.com, ops@example.org');
    expect(mail.headers.subject).toBe('[MTA-STS] example.com: MTA-STS is now failing');
    expect(mail.headers['content-type']).toMatch(/^text\/plain/);
    expect(mail.body.replace(/\r\n/g, '\n').trim()).toBe(NOTIFICATION.text);
  });

  it('authenticates with the user name and password', async () => {
    const server = await relay({ authOptional: false, authMethods: ['PLAIN', 'LOGIN'] });

    await email(server.port, { user: SMTP_USER, pass: SMTP_PASS }).notify(NOTIFICATION);

    expect(server.mails.map((mail) => [mail.user, mail.secure])).toEqual([[SMTP_USER, true]]);
  });

  it('rejects a wrong password without repeating it', async () => {
    const server = await relay({ authOptional: false, authMethods: ['PLAIN', 'LOGIN'] });
    const wrong = 'wrong-password-never-logged';

    const error = await rejection(email(server.port, { user: SMTP_USER, pass: wrong }).notify(NOTIFICATION));

    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error.message).toContain(`E-mail via localhost:${server.port} failed`);
    expect(error.message).toContain('check the SMTP user name and password');
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(Buffer.from(`\u0000${SMTP_USER}\u0000${wrong}`).toString('base64'));
    expect(server.mails).toHaveLength(0);
  });

  it('refuses to send when the relay offers no STARTTLS and TLS is required', async () => {
    const server = await relay({ authOptional: true, disabledCommands: ['STARTTLS'] });

    const error = await rejection(email(server.port).notify(NOTIFICATION));

    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error.message).toContain(`E-mail via localhost:${server.port} failed`);
    expect(error.message).toContain('STARTTLS');
    expect(server.mails).toHaveLength(0);
  });

  it('refuses a relay whose certificate it does not trust', async () => {
    const server = await relay({ authOptional: true });

    const error = await rejection(email(server.port, { caFile: undefined }).notify(NOTIFICATION));

    expect(error.message).toMatch(/certificate/i);
    expect(server.mails).toHaveLength(0);
  });

  it('sends in plain text to a loopback relay when TLS is explicitly not required', async () => {
    const server = await relay({ authOptional: true, disabledCommands: ['STARTTLS'] });

    await email(server.port, { requireTls: false }).notify(NOTIFICATION);

    expect(server.mails.map((mail) => mail.secure)).toEqual([false]);
  });

  it('delivers over implicit TLS when secure is set', async () => {
    const server = await relay({ authOptional: true, secure: true });

    await email(server.port, { secure: true }).notify(NOTIFICATION);

    expect(server.mails.map((mail) => mail.secure)).toEqual([true]);
  });

  it('gives up on a relay that sends no greeting', async () => {
    // A TCP listener that accepts and stays silent: without bounded timeouts this would hang for 30 s.
    const silent = createServer();
    const sockets: Socket[] = [];
    silent.on('connection', (socket: Socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const started = Date.now();

      const error = await rejection(email(port).notify(NOTIFICATION));

      expect(error.message).toContain(`E-mail via localhost:${port} failed`);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  describe('fan-out to webhook and e-mail', () => {
    const receiver = new WebhookReceiver();

    beforeAll(() => receiver.start());
    afterAll(() => receiver.stop());

    it('still delivers the e-mail when the webhook fails, then names the failed channel', async () => {
      const server = await relay({ authOptional: true });
      receiver.status = 500;
      const notifier = createNotifier(
        resolveNotificationOptions({
          webhookUrl: `${receiver.baseUrl}/hook`,
          email: {
            to: ['admin@example.com'],
            from: 'mta-sts@example.com',
            host: 'localhost',
            port: server.port,
            caFile,
          },
        }),
      );
      expect(notifier).toBeInstanceOf(FanoutNotifier);

      const error = await rejection(notifier!.notify(NOTIFICATION));

      expect(error).toBeInstanceOf(NotificationDeliveryError);
      expect(error).toBeInstanceOf(AggregateError);
      const aggregate = error as NotificationDeliveryError;
      expect(aggregate.channels).toEqual(['webhook']);
      expect(aggregate.errors).toHaveLength(1);
      expect(aggregate.message).toContain('not delivered to 1 of 2 channels');
      expect(aggregate.message).toContain(`webhook: Webhook to ${receiver.host} failed: HTTP 500`);
      expect(receiver.requests).toHaveLength(1);
      expect(server.mails.map((mail) => mail.rcptTo)).toEqual([['admin@example.com']]);
    });

    it('still calls the webhook when the e-mail fails, and resolves when every channel delivers', async () => {
      const server = await relay({ authOptional: true, disabledCommands: ['STARTTLS'] });
      receiver.status = 204;
      receiver.requests.length = 0;
      const failing = createNotifier(
        resolveNotificationOptions({
          webhookUrl: `${receiver.baseUrl}/hook`,
          email: {
            to: ['admin@example.com'],
            from: 'mta-sts@example.com',
            host: 'localhost',
            port: server.port,
            caFile,
          },
        }),
      )!;

      const error = (await rejection(failing.notify(NOTIFICATION))) as NotificationDeliveryError;

      expect(error.channels).toEqual(['email']);
      expect(receiver.requests).toHaveLength(1);

      const working = new FanoutNotifier({
        webhook: new WebhookNotifier(resolveNotificationOptions({ webhookUrl: `${receiver.baseUrl}/hook` }).webhook!),
        email: email((await relay({ authOptional: true })).port),
      });
      await expect(working.notify(NOTIFICATION)).resolves.toBeUndefined();
      expect(receiver.requests).toHaveLength(2);
    });
  });
});
