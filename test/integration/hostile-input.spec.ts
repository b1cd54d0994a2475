import 'reflect-metadata';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { hashPassword } from '../../src/panel/auth/passwords';
import { InvalidSettingError, loadPanelConfig } from '../../src/panel/env';
import { panelDatabaseEnv } from '../support/test-database';
import { configurePanel } from '../../src/panel/setup';
import { closedPort } from '../support/smtp-server';
import { Browser } from './helpers/html';

const SECRET = 'hostile-input-session-secret-0123456789';
const TOKEN = 'hostile-input-api-token-0123456789';
const PASSWORD = 'correct horse battery staple';

/** Bodies nested deeper than any stack: they must be refused, not overflow one. */
const nested = (depth: number, open: string, close: string, inner = '1') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

/**
 * Hostile input against the standalone panel, as an attacker would send it: every case is
 * refused with the status it names, and nothing is written (no row in any table, no file in
 * the data directory). One panel for all cases; the snapshot is compared after each.
 */
describe('Hostile input against the standalone panel', () => {
  let dataDir: string;
  let app: INestApplication;
  let database: DataSource;
  let admin: Browser;
  let dnsPort: number;

  async function snapshot(): Promise<string> {
    const counts: string[] = [];
    for (const table of ['mta_sts_domains', 'mta_sts_actions', 'mta_sts_checks', 'panel_sessions']) {
      const [row] = (await database.query(`SELECT COUNT(*) AS n FROM ${table}`)) as { n: number }[];
      counts.push(`${table}=${row.n}`);
    }
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (!/mta-sts\.sqlite(-wal|-shm)?$/.test(name)) files.push(path.slice(dataDir.length));
      }
    };
    walk(dataDir);
    return [...counts, ...files.sort()].join('\n');
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-hostile-'));
    dnsPort = await closedPort();
    const config = loadPanelConfig({
      MTA_STS_DATA_DIR: dataDir,
      ...(await panelDatabaseEnv(dataDir)),
      MTA_STS_SERVER_IPV4: '192.0.2.10',
      MTA_STS_USERS: `alice:admin:${await hashPassword(PASSWORD)}`,
      MTA_STS_SESSION_SECRET: SECRET,
      MTA_STS_API_TOKEN: TOKEN,
      // Nothing answers here: a case that reached DNS would fail, not pass.
      MTA_STS_DNS_SERVERS: `127.0.0.1:${dnsPort}`,
      MTA_STS_NGINX_SITES_DIR: join(dataDir, 'sites'),
    });
    app = await NestFactory.create(AppModule.forConfig(config), { logger: false, abortOnError: false });
    configurePanel(app);
    await app.init();
    database = app.get(DataSource);
    // One domain exists, for the route and action cases.
    await database.query(
      `INSERT INTO mta_sts_domains (name, "unicodeName", state, badge, mode, "maxAge", mx, "policyId", "policyText", "policySerial")
       VALUES ('example.com', 'example.com', 'inactive', 'inactive', 'testing', 604800, '["mx.example.com"]', '20261126T000000n1', 'version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 604800\r\n', 1)`,
    );
    admin = new Browser(app.getHttpServer());
    await admin.get('/login');
    expect((await admin.post('/login', { username: 'alice', password: PASSWORD, next: '/mta-sts' })).status).toBe(303);
    await admin.get('/mta-sts/domains/example.com');
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const api = () => request(app.getHttpServer());
  const bearer = { Authorization: `Bearer ${TOKEN}` };

  /** Sends `send()`, expects `status`, and that nothing changed. */
  async function refused<T extends { readonly status: number; readonly text: string }>(
    status: number | number[],
    send: () => PromiseLike<T>,
  ): Promise<T> {
    const before = await snapshot();
    const answer = await send();
    expect([status].flat()).toContain(answer.status);
    expect(answer.text).not.toMatch(/at \w+ \(|node_modules|\/work\//);
    expect(await snapshot()).toBe(before);
    return answer;
  }

  describe('the API: names that are not domain names (400)', () => {
    const names: Array<[string, unknown]> = [
      ['empty', ''],
      ['blank', '   '],
      ['a dot', '.'],
      ['two dots', '..'],
      ['an empty label', 'a..b.com'],
      ['a leading hyphen', '-a.com'],
      ['a trailing hyphen', 'a-.com'],
      ['an underscore', 'a_b.com'],
      ['one label', 'localhost'],
      ['an IPv4 address', '127.0.0.1'],
      ['an IPv6 literal', '[::1]'],
      ['a numeric top label', 'example.123'],
      ['a hex top label', 'example.0x7f'],
      ['a port', 'example.com:443'],
      ['an e-mail address', 'user@example.com'],
      ['a URL', 'https://example.com'],
      ['a path', 'example.com/x'],
      ['a space', 'exa mple.com'],
      ['CRLF', 'example.com\r\nX-Injected: 1'],
      ['NUL', 'example.com\u0000'],
      ['a tab', 'exam\tple.com'],
      ['a broken punycode label', 'xn--zz.com'],
      ['percent-encoding', 'ex%41mple.com'],
      ['a wildcard', '*.example.com'],
      ['a shell command', 'example.com;rm -rf /'],
      ['command substitution', '$(id).example.com'],
      ['backticks', '`id`.example.com'],
      ['a traversal', '../../etc/passwd'],
      ['a 64-character label', `${'a'.repeat(64)}.com`],
      ['a name one character too long', `${'a.'.repeat(121)}com`],
      ['a double quote', 'exa"mple.com'],
      ['a single quote', "exa'mple.com"],
      ['angle brackets', '<script>.com'],
      ['a comma list', 'example.com,other.com'],
      ['braces', 'ex{a}mple.com'],
      ['a pipe', 'exam|ple.com'],
      ['a backslash', 'exam\\ple.com'],
      ['a right-to-left override', '\u202eexample.com'],
      ['a zero-width space', 'exa\u200bmple.com'],
      ['nginx syntax', 'example.com; include /etc/passwd'],
      ['a number', 42],
      ['null', null],
      ['true', true],
      ['a list', ['example.com']],
      ['an object', { toString: 'example.com' }],
    ];
    it.each(names)('%s', async (_what, domain) => {
      const answer = await refused(400, () => api().post('/api/domains').set(bearer).send({ domain }));
      expect(typeof answer.body.message === 'string' || Array.isArray(answer.body.message)).toBe(true);
    });
  });

  describe('the API: bodies built to break the server (400 or 413)', () => {
    const bodies: Array<[string, string, number | number[]]> = [
      ['40,000 nested arrays', `{"domain": ${nested(40_000, '[', ']')}}`, 400],
      ['15,000 nested objects', nested(15_000, '{"a":', '}'), 400],
      ['a __proto__ key', '{"domain": "example.org", "__proto__": {"admin": true}}', 400],
      ['only a __proto__ key', '{"__proto__": {"polluted": true}}', 400],
      ['a constructor key', '{"domain": "example.org", "constructor": {"prototype": {"x": 1}}}', 400],
      ['a prototype key', '{"domain": "example.org", "prototype": 1}', 400],
      ['an unknown key', '{"domain": "example.org", "admin": true}', 400],
      ['a list as the body', '["example.org"]', 400],
      ['a string as the body', '"example.org"', 400],
      ['invalid JSON', '{"domain": ', 400],
      ['a body over the size limit', `{"domain": "${'a'.repeat(200_000)}"}`, 413],
      ['a domain of 100 KB less a little', `{"domain": "${'a'.repeat(99_000)}"}`, 400],
    ];
    it.each(bodies)('%s', async (_what, body, status) => {
      await refused(status, () =>
        api().post('/api/domains').set(bearer).set('Content-Type', 'application/json').send(body),
      );
    });

    it('a JSON body as text/plain is not read as JSON', async () => {
      await refused(400, () =>
        api().post('/api/domains').set(bearer).set('Content-Type', 'text/plain').send('{"domain":"example.org"}'),
      );
    });
  });

  describe('the API: names in the URL (400 or 404)', () => {
    const paths = [
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      '..%2F..%2Fetc%2Fpasswd',
      'example.com%00',
      'example.com%0d%0aX-Injected:1',
      'a'.repeat(300),
      '%E2%80%AEexample.com',
      'example.com%E2%80%8B',
    ];
    it.each(paths)('GET /api/domains/%s', async (path) => {
      await refused([400, 404], () => api().get(`/api/domains/${path}`).set(bearer));
    });
    it.each(paths)('POST /api/domains/%s/enable', async (path) => {
      await refused([400, 404], () => api().post(`/api/domains/${path}/enable`).set(bearer));
    });
    it.each(['constructor', '__proto__', 'toString', 'enable%00'])(
      'POST /api/domains/example.com/%s',
      async (action) => {
        await refused(404, () => api().post(`/api/domains/example.com/${action}`).set(bearer));
      },
    );
  });

  describe('the API: policy settings out of range (400)', () => {
    it.each<[string, unknown]>([
      ['upper case', 'ENFORCE'],
      ['none (retiring does that)', 'none'],
      ['empty', ''],
      ['a number', 1],
      ['null', null],
      ['a list', ['enforce']],
      ['an object', {}],
      ['a trailing space', 'testing '],
    ])('mode %s', async (_what, mode) => {
      await refused(400, () => api().post('/api/domains/example.com/mode').set(bearer).send({ mode }));
    });
    it.each<[string, unknown]>([
      ['negative', -1],
      ['zero', 0],
      ['a second under a day', 86_399],
      ['a second over a year', 31_557_601],
      ['a fraction', 1.5],
      ['text', 'abc'],
      ['null', null],
      ['a list', [86_400]],
      ['huge', 1e308],
    ])('max_age %s', async (_what, maxAge) => {
      await refused(400, () => api().post('/api/domains/example.com/max-age').set(bearer).send({ maxAge }));
    });
  });

  describe('the API: list queries out of range (400)', () => {
    it.each([
      'page=-1',
      'page=abc',
      'page=1e9',
      'pageSize=0',
      'pageSize=201',
      'pageSize=1.5',
      `q=${'a'.repeat(300)}`,
      'badge=constructor',
      'badge=__proto__',
      'badge[]=active',
      'page[]=1',
      'badge=Active',
    ])('%s', async (query) => {
      await refused(400, () => api().get(`/api/domains?${query}`).set(bearer));
    });
  });

  describe('the API: who may call it (401)', () => {
    it.each<[string, Record<string, string>]>([
      ['no token', {}],
      ['a wrong token', { Authorization: 'Bearer wrong-token' }],
      ['the token with a character appended', { Authorization: `Bearer ${TOKEN}x` }],
      ['Basic instead of Bearer', { Authorization: `Basic ${Buffer.from(`api:${TOKEN}`).toString('base64')}` }],
      ['a token of another case', { Authorization: `Bearer ${TOKEN.toUpperCase()}` }],
      ['an empty Bearer', { Authorization: 'Bearer ' }],
    ])('%s', async (_what, headers) => {
      await refused(401, () => api().post('/api/domains').set(headers).send({ domain: 'example.org' }));
    });
    it('the token in the query string', async () => {
      await refused(401, () => api().post(`/api/domains?token=${TOKEN}`).send({ domain: 'example.org' }));
    });
  });

  describe('the pages: forms and URLs (the validation message, or 404)', () => {
    it.each<[string, Record<string, string>]>([
      ['domain[toString]=x', { 'domain[toString]': 'x' }],
      ['domain[]=a', { 'domain[]': 'example.org' }],
      ['domain[__proto__][x]=1', { 'domain[__proto__][x]': '1' }],
      ['a name with CRLF', { domain: 'example.org\r\nX: 1' }],
      ['a name with a NUL', { domain: 'example.org\u0000' }],
      ['a URL', { domain: 'https://example.org' }],
      ['an IP address', { domain: '192.0.2.1' }],
      ['HTML', { domain: '<img src=x onerror=alert(1)>' }],
    ])('Add with %s shows the validation message', async (_what, form) => {
      const answer = await refused(303, () => admin.post('/mta-sts/domains', form));
      const list = await admin.get(answer.location!);
      expect(list.text).toMatch(/is not a valid domain name|not an object|not a list/);
      expect(list.text).not.toContain('Something unexpected went wrong');
      expect(list.text).not.toContain('<img src=x');
    });
    it.each<[string, unknown]>([
      ['an object', { toString: 'x' }],
      ['a list', ['example.org']],
      ['a number', 7],
    ])('Add posted as JSON with %s as the domain shows the validation message', async (_what, domain) => {
      const cookies = [...admin.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      const answer = await refused(303, () =>
        api()
          .post('/mta-sts/domains')
          .set('Cookie', cookies)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ _csrf: admin.csrfToken, domain })),
      );
      // The flash travels in the cookie the answer set, as a browser would send it back.
      const flash = ([answer.headers['set-cookie']].flat() as string[]).map((cookie) => cookie.split(';')[0]);
      const list = await api()
        .get(answer.headers.location as string)
        .set('Cookie', [cookies, ...flash].join('; '));
      expect(list.text).toMatch(/is not a valid domain name: a domain name must be a string/);
      expect(list.text).not.toContain('Something unexpected went wrong');
    });
    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
      'GET the confirmation page %s is 404',
      async (action) => {
        await refused(404, () => admin.get(`/mta-sts/domains/example.com/confirm/${action}`));
      },
    );
    it.each(['constructor', '__proto__', 'toString', 'valueOf'])('POST the action %s is 404', async (action) => {
      await refused(404, () => admin.post(`/mta-sts/domains/example.com/${action}`, { confirm: 'yes' }));
    });
    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', '..%2Fpanel.css', 'panel.css%00'])(
      'GET /mta-sts/assets/%s is 404 without signing in',
      async (file) => {
        await refused(404, () => api().get(`/mta-sts/assets/${file}`));
      },
    );
    it.each(['badge=constructor', 'badge=__proto__', 'page=-5', `q=${'%00'.repeat(10)}`])(
      'the list with %s still answers 200',
      async (query) => {
        await refused(200, () => admin.get(`/mta-sts?${query}`));
      },
    );
  });

  describe('sign-in (401, 403 or 429, and no session)', () => {
    it.each<[string, Record<string, string>]>([
      ['a name with CRLF', { username: 'alice\r\nX: 1', password: PASSWORD }],
      ['a name of 1,000 characters', { username: 'a'.repeat(1000), password: PASSWORD }],
      ['an SQL comment', { username: "alice' OR 1=1 --", password: 'x' }],
      ['a list as the name', { 'username[]': 'alice', password: PASSWORD }],
      ['no password', { username: 'alice' }],
      ['a password of 50 KB', { username: 'alice', password: 'p'.repeat(50_000) }],
      ['the right password for another case of the name', { username: 'ALICE', password: PASSWORD }],
    ])('%s', async (_what, form) => {
      const visitor = new Browser(app.getHttpServer(), null, { 'X-Forwarded-For': '198.51.100.7' });
      await visitor.get('/login');
      await refused([401, 429], () => visitor.post('/login', { ...form, next: '/mta-sts' }));
      expect(visitor.cookies.has('mta_sts_session')).toBe(false);
    });
    it.each([
      '//evil.example/',
      'https://evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
      '/%0d%0aSet-Cookie:x=1',
    ])('a next of %s never leaves the panel', async (next) => {
      const visitor = new Browser(app.getHttpServer(), null, { 'X-Forwarded-For': '198.51.100.8' });
      await visitor.get('/login');
      const answer = await visitor.post('/login', { username: 'alice', password: PASSWORD, next });
      expect(answer.status).toBe(303);
      // A path on the panel, never another host, never a line break in the header.
      expect(answer.location).toMatch(/^\/(?![/\\])/);
      expect(answer.location).not.toMatch(/[\r\n]/);
      expect(answer.headers['set-cookie']?.toString() ?? '').not.toMatch(/x=1/);
    });
  });

  describe('sessions (back to the sign-in form)', () => {
    const forged = (): Array<[string, string]> => {
      const genuine = admin.cookies.get('mta_sts_session')!;
      const [payload, signature] = genuine.split('.');
      const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return [
        ['a role changed', `${encode({ ...session, role: 'admin', user: 'mallory' })}.${signature}`],
        ['an expiry pushed out', `${encode({ ...session, expires: Date.now() + 1e12 })}.${signature}`],
        ['a session id never opened', `${encode({ ...session, sid: 'x'.repeat(43) })}.${signature}`],
        ['the signature alone', `.${signature}`],
        ['the payload alone', payload],
        ['garbage', 'not-a-session'],
        ['an empty cookie', ''],
        ['a 4 KB cookie', 'a'.repeat(4096)],
      ];
    };
    it('refuses every forged session cookie', async () => {
      for (const [what, cookie] of forged()) {
        const visitor = new Browser(app.getHttpServer());
        visitor.cookies.set('mta_sts_session', cookie);
        const answer = await refused(303, () => visitor.get('/mta-sts'));
        expect({ what, location: answer.location }).toEqual({ what, location: '/login?next=%2Fmta-sts' });
      }
    });
  });

  describe('CSRF (403)', () => {
    it.each<[string, () => string | false]>([
      ['no token', () => false],
      ['a wrong token', () => 'b'.repeat(43)],
      ['the cookie value as the token', () => admin.cookies.get('mta_sts_csrf') ?? 'c'.repeat(64)],
      ['a token of another format', () => 'z'.repeat(64)],
      ['a token one character short', () => admin.csrfToken!.slice(1)],
      [
        'a token with a character changed',
        () => `${admin.csrfToken!.slice(0, -1)}${admin.csrfToken!.endsWith('A') ? 'B' : 'A'}`,
      ],
    ])('%s', async (_what, token) => {
      const value = token();
      await refused(403, () => admin.post('/mta-sts/domains', { domain: 'example.org' }, { csrf: value }));
    });
    it('the token of another session', async () => {
      const other = new Browser(app.getHttpServer(), null, { 'X-Forwarded-For': '198.51.100.9' });
      await other.get('/login');
      await other.post('/login', { username: 'alice', password: PASSWORD, next: '/mta-sts' });
      await other.get('/mta-sts');
      await refused(403, () => admin.post('/mta-sts/domains', { domain: 'example.org' }, { csrf: other.csrfToken! }));
    });
  });

  describe('headers', () => {
    it('a header larger than Node accepts is refused before any handler', async () => {
      await refused([431, 400], () => api().get('/mta-sts').set('X-Big', 'a'.repeat(20_000)));
    });
    it('a Host header with CRLF does not reach the pages', async () => {
      await refused([400, 303], () => api().get('/mta-sts').set('Host', 'panel.example'));
    });
    it('a method the API does not know', async () => {
      await refused(404, () => api().put('/api/domains/example.com').set(bearer).send({ domain: 'example.org' }));
    });
  });

  describe('notification settings (refused at start-up, naming the variable)', () => {
    const base = {
      MTA_STS_DATA_DIR: '/tmp/never-used',
      MTA_STS_SERVER_IPV4: '192.0.2.10',
      MTA_STS_SESSION_SECRET: SECRET,
    };
    it.each<[string, Record<string, string>, string]>([
      [
        'a webhook with javascript:',
        { MTA_STS_NOTIFY_WEBHOOK_URL: 'javascript:alert(1)' },
        'MTA_STS_NOTIFY_WEBHOOK_URL',
      ],
      ['a webhook to a file', { MTA_STS_NOTIFY_WEBHOOK_URL: 'file:///etc/passwd' }, 'MTA_STS_NOTIFY_WEBHOOK_URL'],
      ['a webhook that is no URL', { MTA_STS_NOTIFY_WEBHOOK_URL: 'not a url' }, 'MTA_STS_NOTIFY_WEBHOOK_URL'],
      [
        'a webhook with CRLF',
        { MTA_STS_NOTIFY_WEBHOOK_URL: 'https://hook.example/\r\nX: 1' },
        'MTA_STS_NOTIFY_WEBHOOK_URL',
      ],
      [
        'a recipient with a header injection',
        {
          MTA_STS_NOTIFY_EMAIL_TO: 'ops@example.com\r\nBcc: all@example.com',
          MTA_STS_SMTP_HOST: 'smtp.example.com',
          MTA_STS_NOTIFY_EMAIL_FROM: 'panel@example.com',
        },
        'MTA_STS_NOTIFY_EMAIL_TO',
      ],
      [
        'a sender that is no address',
        {
          MTA_STS_NOTIFY_EMAIL_TO: 'ops@example.com',
          MTA_STS_SMTP_HOST: 'smtp.example.com',
          MTA_STS_NOTIFY_EMAIL_FROM: 'panel',
        },
        'MTA_STS_NOTIFY_EMAIL_FROM',
      ],
      [
        'an SMTP port out of range',
        {
          MTA_STS_NOTIFY_EMAIL_TO: 'ops@example.com',
          MTA_STS_SMTP_HOST: 'smtp.example.com',
          MTA_STS_NOTIFY_EMAIL_FROM: 'panel@example.com',
          MTA_STS_SMTP_PORT: '70000',
        },
        'MTA_STS_SMTP_PORT',
      ],
      [
        'an SMTP host with a space',
        {
          MTA_STS_NOTIFY_EMAIL_TO: 'ops@example.com',
          MTA_STS_SMTP_HOST: 'smtp example.com',
          MTA_STS_NOTIFY_EMAIL_FROM: 'panel@example.com',
        },
        'MTA_STS_SMTP_HOST',
      ],
    ])('%s', (_what, env, variable) => {
      let error: unknown;
      try {
        loadPanelConfig({ ...base, ...env });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidSettingError);
      expect((error as Error).message).toContain(variable);
    });
  });
});
