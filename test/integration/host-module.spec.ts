import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MtaStsModule } from '../../src/mta-sts/mta-sts.module';
import { MtaStsModuleOptions } from '../../src/mta-sts/mta-sts.options';
import { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS } from '../../src/mta-sts/persistence';
import { CertificateAuthority, DnsResolver, HttpClient, WebServer } from '../../src/mta-sts/ports';
import {
  FakeCertificateAuthority,
  FakeDnsResolver,
  FakeHttpClient,
  FakeWebServer,
  UnexpectedCalls,
} from './helpers/fakes';

const SERVER_IPV4 = '192.0.2.10';
const TOKEN = 'x'.repeat(20);
const EMPTY_LIST = { domains: [], total: 0, page: 1, pages: 1, pageSize: 100 };

type HeaderBag = { headers: Record<string, string | string[] | undefined> };

/** A mail control panel that owns its database and hosts MtaStsModule, as a real host would. */
@Module({})
class HostPanelModule {
  static register(database: string, mtaSts: DynamicModule): DynamicModule {
    return {
      module: HostPanelModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'sqlite',
          database,
          entities: [...MTA_STS_ENTITIES],
          migrations: [...MTA_STS_MIGRATIONS],
          migrationsRun: true,
          synchronize: false,
          retryAttempts: 0,
        }),
        ScheduleModule.forRoot(),
        mtaSts,
      ],
    };
  }
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

describe('MtaStsModule hosted by another panel', () => {
  let dataDir: string;
  let unexpected: UnexpectedCalls;
  let dns: FakeDnsResolver;
  let app: INestApplication | undefined;
  let url: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-host-'));
    unexpected = new UnexpectedCalls();
    dns = new FakeDnsResolver(unexpected);
    app = undefined;
  });

  afterEach(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
    expect(unexpected.calls).toEqual([]);
  });

  /** Starts the host panel on 127.0.0.1 with every side-effect port replaced by a strict fake. */
  async function startPanel(mtaSts: DynamicModule): Promise<void> {
    const moduleRef = await Test.createTestingModule({
      imports: [HostPanelModule.register(join(dataDir, 'panel.sqlite'), mtaSts)],
    })
      .overrideProvider(DnsResolver)
      .useValue(dns)
      // Nothing in these tests enables a domain: any nginx, CA or HTTP call is unexpected.
      .overrideProvider(WebServer)
      .useValue(new FakeWebServer(unexpected, new Set()))
      .overrideProvider(CertificateAuthority)
      .useValue(new FakeCertificateAuthority(unexpected))
      .overrideProvider(HttpClient)
      .useValue(new FakeHttpClient(unexpected, dataDir, '203.0.113.254', ''))
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }

  const withAuthorizeApi = () =>
    MtaStsModule.forRootAsync({
      useFactory: async (): Promise<MtaStsModuleOptions> => ({
        dataDir,
        serverIpv4: SERVER_IPV4,
        authorizeApi: (request) => (request as HeaderBag).headers['x-role'] === 'admin',
      }),
    });

  async function call(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> } as Answer;
  }

  const admin = { 'x-role': 'admin' };

  describe('with the host’s own authorizeApi', () => {
    it('gives its pages a strict CSP and frame protection inside a host that sets none', async () => {
      await startPanel(withAuthorizeApi());
      for (const path of ['/mta-sts', '/mta-sts/assets/panel.css', '/mta-sts/assets/nothing.js']) {
        const response = await fetch(`${url}${path}`);
        expect([path, response.status]).toEqual([path, path === '/mta-sts' ? 401 : path.endsWith('css') ? 200 : 404]);
        expect(response.headers.get('content-security-policy')).toBe(
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        );
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('referrer-policy')).toBe('same-origin');
      }
    });

    it('lets the host decide who may use the API', async () => {
      await startPanel(withAuthorizeApi());

      expect(await call('GET', '/api/domains', admin)).toEqual({ status: 200, body: EMPTY_LIST });
      expect((await call('GET', '/api/domains')).status).toBe(403);
      expect((await call('GET', '/api/domains', { 'x-role': 'viewer' })).status).toBe(403);
      // The bearer token plays no part once the host decides.
      expect((await call('GET', '/api/domains', { authorization: `Bearer ${TOKEN}` })).status).toBe(403);
    });

    it('answers 400 to bodies that are not a single domain string', async () => {
      await startPanel(withAuthorizeApi());

      expect((await call('POST', '/api/domains', admin, '{}')).status).toBe(400);
      expect((await call('POST', '/api/domains', admin, '{"domain": 5}')).status).toBe(400);

      const emptyLabel = await call('POST', '/api/domains', admin, '{"domain":"a..b"}');
      expect(emptyLabel.status).toBe(400);
      expect(emptyLabel.body.message).toBe(
        '"a..b" is not a valid domain name: it has an empty label (two dots in a row, or a leading dot).',
      );

      const extra = await call('POST', '/api/domains', admin, '{"domain":"example.com","admin":true}');
      expect(extra.status).toBe(400);
      expect(JSON.stringify(extra.body.message)).toContain('admin should not exist');

      expect(dns.lookups).toEqual([]);
      expect(await call('GET', '/api/domains', admin)).toEqual({ status: 200, body: EMPTY_LIST });
    });

    it('adds, shows and deletes a domain with the exact records to publish', async () => {
      dns.mx.set('example.com', [{ exchange: 'mx.example.com', priority: 10 }]);
      await startPanel(withAuthorizeApi());
      const policyText = 'version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 604800\r\n';
      const added = await call('POST', '/api/domains', admin, '{"domain":"example.com"}');
      expect(added.status).toBe(201);
      // The domain's first policy id: the UTC time it was minted and sequence number 1.
      const id = (added.body.policy as { id: string }).id;
      expect(id).toMatch(/^\d{8}T\d{6}n1$/);
      expect(added.body).toMatchObject({
        domain: 'example.com',
        state: 'inactive',
        mode: 'testing',
        mx: ['mx.example.com'],
        policy: { text: policyText, id },
      });
      const records = added.body.records as { name: string; type: string; value: string }[];
      expect(records.map(({ name, type, value }) => ({ name, type, value }))).toEqual([
        { name: '_mta-sts.example.com', type: 'TXT', value: `v=STSv1; id=${id}` },
        { name: 'mta-sts.example.com', type: 'A', value: SERVER_IPV4 },
        { name: '_smtp._tls.example.com', type: 'TXT', value: 'v=TLSRPTv1; rua=mailto:tls-reports@example.com' },
      ]);

      const again = await call('POST', '/api/domains', admin, '{"domain":"example.com"}');
      expect(again.status).toBe(409);
      expect(again.body.message).toBe('example.com is already managed here.');

      const shown = await call('GET', '/api/domains/EXAMPLE.com.', admin);
      expect(shown.status).toBe(200);
      expect(shown.body.domain).toBe('example.com');
      expect(shown.body.records).toEqual(added.body.records);

      const unknown = await call('GET', '/api/domains/unknown.example', admin);
      expect(unknown.status).toBe(404);
      expect(unknown.body.message).toBe('Domain unknown.example is not managed here.');

      expect(await call('DELETE', '/api/domains/example.com', admin)).toEqual({ status: 204, body: {} });
      expect((await call('GET', '/api/domains/example.com', admin)).status).toBe(404);
      expect(await call('GET', '/api/domains', admin)).toEqual({ status: 200, body: EMPTY_LIST });
    });
  });

  describe('listing domains', () => {
    it('answers a page at a time, filtered by name and badge', async () => {
      const names = ['a', 'b', 'c', 'd', 'e'].map((label) => `${label}.example.com`);
      for (const name of names) dns.mx.set(name, [{ exchange: 'mx.example.com', priority: 10 }]);
      await startPanel(withAuthorizeApi());
      for (const name of [...names].reverse()) {
        expect((await call('POST', '/api/domains', admin, JSON.stringify({ domain: name }))).status).toBe(201);
      }
      const listed = (answer: Answer) => (answer.body.domains as { domain: string }[]).map((view) => view.domain);

      const all = await call('GET', '/api/domains', admin);
      expect(listed(all)).toEqual(names);
      expect(all.body).toMatchObject({ total: 5, page: 1, pages: 1, pageSize: 100 });

      const second = await call('GET', '/api/domains?pageSize=2&page=2', admin);
      expect(listed(second)).toEqual(['c.example.com', 'd.example.com']);
      expect(second.body).toMatchObject({ total: 5, page: 2, pages: 3, pageSize: 2 });
      // Past the end: the last page, so a client that lost count still gets something useful.
      const past = await call('GET', '/api/domains?pageSize=2&page=9', admin);
      expect(listed(past)).toEqual(['e.example.com']);
      expect(past.body).toMatchObject({ page: 3, pages: 3 });

      expect(listed(await call('GET', '/api/domains?q=C.EXAMPLE', admin))).toEqual(['c.example.com']);
      expect(listed(await call('GET', '/api/domains?badge=inactive&pageSize=200', admin))).toEqual(names);
      const none = await call('GET', '/api/domains?badge=active', admin);
      expect(none.body).toMatchObject({ domains: [], total: 0, page: 1, pages: 1 });
    });

    it('answers 400 with the reason to a query it cannot honour', async () => {
      await startPanel(withAuthorizeApi());
      const refusal = async (query: string) => {
        const answer = await call('GET', `/api/domains?${query}`, admin);
        expect(answer.status).toBe(400);
        return JSON.stringify(answer.body.message);
      };

      expect(await refusal('pageSize=0')).toContain('pageSize must be between 1 and 200');
      expect(await refusal('pageSize=201')).toContain('pageSize must be between 1 and 200');
      expect(await refusal('page=first')).toContain('page must be a whole number');
      expect(await refusal('page=0')).toContain('page must be 1 or more');
      expect(await refusal('badge=green')).toContain(
        'badge must be one of active, verifying, retiring, error, inactive',
      );
      expect(await refusal('q=a&q=b')).toContain('q must be a single string');
      expect(await refusal('sort=name')).toContain('property sort should not exist');
    });
  });

  describe('with route prefixes and the host’s layout', () => {
    const role = (request: unknown) => ((request as HeaderBag).headers['x-role'] === 'admin' ? 'admin' : null);

    /** A host layout that escapes the title, as a real one would, and marks its own menu. */
    const hostLayout = (page: { title: string; head: string; content: string; role: string | null; base: string }) =>
      `<!doctype html><html><head><title>Panel · ${page.title.replace(/[<&>"]/g, '')}</title>${page.head}</head>` +
      `<body><nav id="host-menu">Host menu (${page.role ?? 'anonymous'}) ${page.base}</nav><main>${page.content}</main></body></html>`;

    it('serves the API, the pages, their assets and the health check below the host’s prefixes only', async () => {
      dns.mx.set('example.com', [{ exchange: 'mx.example.com', priority: 10 }]);
      await startPanel(
        MtaStsModule.forRoot({
          dataDir,
          serverIpv4: SERVER_IPV4,
          authorizeApi: (request) => (request as HeaderBag).headers['x-role'] === 'admin',
          pages: { resolveRole: role },
          routes: { api: '/api/mta-sts/', pages: 'settings/mta-sts', operations: 'ops' },
        }),
      );
      expect(await call('GET', '/api/mta-sts/domains', admin)).toEqual({ status: 200, body: EMPTY_LIST });
      expect((await call('POST', '/api/mta-sts/domains', admin, '{"domain":"example.com"}')).status).toBe(201);
      expect((await call('POST', '/api/mta-sts/checks', admin)).status).toBe(200);
      // The default paths are free for the host's own routes.
      for (const path of ['/api/domains', '/mta-sts', '/mta-sts/assets/panel.css', '/healthz', '/api/checks']) {
        expect([path, (await fetch(`${url}${path}`, { headers: admin })).status]).toEqual([path, 404]);
      }
      expect((await fetch(`${url}/settings/mta-sts/assets/panel.css`)).status).toBe(200);
      expect((await fetch(`${url}/ops/healthz`)).status).toBeOneOf([200, 503]);

      const list = await fetch(`${url}/settings/mta-sts`, { headers: admin });
      const html = await list.text();
      expect(list.status).toBe(200);
      expect(html).toContain('href="/settings/mta-sts/domains/example.com"');
      expect(html).toContain('<link rel="stylesheet" href="/settings/mta-sts/assets/panel.css">');
      expect(html).toContain('action="/settings/mta-sts/domains"');

      const card = await fetch(`${url}/settings/mta-sts/domains/example.com`, { headers: admin });
      expect(card.status).toBe(200);
    });

    it('puts every page, refusals and errors included, inside the host’s layout with the module’s CSP', async () => {
      dns.mx.set('example.com', [{ exchange: 'mx.example.com', priority: 10 }]);
      await startPanel(
        MtaStsModule.forRoot({
          dataDir,
          serverIpv4: SERVER_IPV4,
          authorizeApi: (request) => (request as HeaderBag).headers['x-role'] === 'admin',
          pages: { resolveRole: role, layout: hostLayout },
        }),
      );
      expect((await call('POST', '/api/domains', admin, '{"domain":"example.com"}')).status).toBe(201);

      const card = await fetch(`${url}/mta-sts/domains/example.com`, { headers: admin });
      const html = await card.text();
      expect(card.status).toBe(200);
      expect(html).toMatch(/^<!doctype html><html><head><title>Panel · MTA-STS for example\.com<\/title>/);
      expect(html).toContain('<nav id="host-menu">Host menu (admin) /mta-sts</nav>');
      expect(html).toContain('<link rel="stylesheet" href="/mta-sts/assets/panel.css">');
      expect(html).toContain('<main><div class="mta-sts mta-sts-embedded">');
      // The module's own chrome (its header and <html>) is not there a second time.
      expect(html.match(/<html/g)).toHaveLength(1);
      expect(html).not.toContain('class="top"');
      expect(card.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

      const refused = await fetch(`${url}/mta-sts`);
      expect(refused.status).toBe(401);
      expect(await refused.text()).toContain('<nav id="host-menu">Host menu (anonymous) /mta-sts</nav>');
      const missing = await fetch(`${url}/mta-sts/domains/unknown.example`, { headers: admin });
      expect(missing.status).toBe(404);
      const missingHtml = await missing.text();
      expect(missingHtml).toContain('Host menu (admin)');
      expect(missingHtml).toContain('not managed here');
    });

    it('shows the back link in its own layout and takes the host’s CSP when it widens it', async () => {
      const csp = "default-src 'self'; script-src 'self' 'nonce-abc'; frame-ancestors 'self'";
      await startPanel(
        MtaStsModule.forRoot({
          dataDir,
          serverIpv4: SERVER_IPV4,
          pages: { resolveRole: role, backLink: { label: '← Mail panel', url: '/panel' }, contentSecurityPolicy: csp },
        }),
      );
      const page = await fetch(`${url}/mta-sts`, { headers: admin });
      expect(await page.text()).toContain('<a class="back" href="/panel">← Mail panel</a>');
      expect(page.headers.get('content-security-policy')).toBe(csp);
      expect((await fetch(`${url}/mta-sts/assets/panel.js`)).headers.get('content-security-policy')).toBe(csp);
    });

    it('refuses route prefixes and page options it cannot use, naming them', async () => {
      const refused = async (options: Partial<MtaStsModuleOptions> & { routes?: Record<string, unknown> }) => {
        const creation = (async () =>
          NestFactory.create(
            HostPanelModule.register(
              ':memory:',
              MtaStsModule.forRoot({ dataDir, serverIpv4: SERVER_IPV4, ...(options as MtaStsModuleOptions) }),
            ),
            { logger: false, abortOnError: false },
          ))();
        return creation.then(
          () => 'started',
          (error: Error) => error.message,
        );
      };
      expect(await refused({ routes: { api: 'api/:id' } })).toMatch(/^routes\.api: "api\/:id" is not a plain path/);
      expect(await refused({ routes: { pages: '/' } })).toMatch(/^routes\.pages: cannot be the root/);
      expect(await refused({ routes: { pages: '../x' } })).toMatch(/^routes\.pages: "..\/x" is not a plain path/);
      expect(await refused({ routes: { api: 'admin', pages: 'admin' } })).toMatch(/^routes\.pages: must differ/);
      expect(await refused({ pages: { backLink: { label: 'x', url: 'javascript:alert(1)' } } })).toMatch(
        /^pages\.backLink: url must be a path/,
      );
      expect(await refused({ pages: { contentSecurityPolicy: "default-src 'self'" } })).toMatch(
        /^pages\.contentSecurityPolicy: must keep a frame-ancestors directive/,
      );
    });
  });

  describe('with forRoot options', () => {
    it('keeps the API closed when neither apiToken nor authorizeApi is set', async () => {
      await startPanel(MtaStsModule.forRoot({ dataDir, serverIpv4: SERVER_IPV4 }));

      const closed = await call('GET', '/api/domains', { authorization: `Bearer ${TOKEN}` });
      expect(closed.status).toBe(403);
      expect(closed.body.message).toContain('MTA_STS_API_TOKEN');
    });

    it('accepts only the configured bearer token', async () => {
      await startPanel(MtaStsModule.forRoot({ dataDir, serverIpv4: SERVER_IPV4, apiToken: TOKEN }));

      expect((await call('GET', '/api/domains')).status).toBe(401);
      expect((await call('GET', '/api/domains', { authorization: `Bearer ${'y'.repeat(20)}` })).status).toBe(401);
      expect((await call('GET', '/api/domains', { authorization: TOKEN })).status).toBe(401);
      expect(await call('GET', '/api/domains', { authorization: `Bearer ${TOKEN}` })).toEqual({
        status: 200,
        body: EMPTY_LIST,
      });
    });

    it('fails to start with an error naming the invalid option', async () => {
      const creation = NestFactory.create(
        // In memory: a failed start may still open the database after the test has ended.
        HostPanelModule.register(':memory:', MtaStsModule.forRoot({ dataDir, serverIpv4: 'nope' })),
        { logger: false, abortOnError: false },
      );
      await expect(creation).rejects.toThrow(/^serverIpv4: "nope" is not an IPv4 address/);
    });

    it('fails to start when forRootAsync yields an invalid option', async () => {
      const creation = NestFactory.create(
        HostPanelModule.register(
          ':memory:',
          MtaStsModule.forRootAsync({
            useFactory: async () => ({ dataDir, serverIpv4: SERVER_IPV4, apiToken: 'short' }),
          }),
        ),
        { logger: false, abortOnError: false },
      );
      await expect(creation).rejects.toThrow(/^apiToken: must be at least 16 characters long/);
    });
  });
});
