import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Lab, freePort } from '../support/lab';
import { Service, waitFor } from '../support/processes';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

interface View {
  readonly domain: string;
  readonly state: string;
  readonly policy: { readonly id: string; readonly text: string };
  readonly certificate: { readonly issuer: string } | null;
  readonly error: unknown;
}

/**
 * What a host panel's developer does: `npm pack` the module, install the tarball into
 * `examples/host-panel` (a Nest app with its own sign-in, database and scheduler), build
 * it, start it, and use the module through the host: its sign-in, its layout, the module's
 * pages and API at the host's prefixes, one domain enabled against the lab's Pebble and
 * nginx.
 *
 * sqlite3 is a native addon that compiles at install (about two minutes). The project's
 * own `npm ci` has built it once in this run; the example's install runs sqlite3's real
 * install script (the host allows it with `allowScripts`), which finds that build as a
 * local prebuild instead of compiling it again.
 */
describe('A host panel that installs the packed module', () => {
  const domain = 'hosted.test';
  let work: string;
  let example: string;
  let lab: Lab;
  let panel: Service;
  let url: string;
  let cookie = '';

  async function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
    const { stdout } = await run('npm', args, {
      cwd,
      env: { ...process.env, ...env },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 300_000,
    });
    return stdout;
  }

  /** A request as the signed-in browser makes it. */
  async function browse(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${url}${path}`, { redirect: 'manual', ...init, headers: { cookie, ...(init.headers ?? {}) } });
  }

  async function api<T>(method: string, path: string): Promise<{ status: number; body: T }> {
    const response = await browse(path, { method });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mta-sts-host-panel-'));
    // dist/ is built by the suite's global set-up; prepack would build it again under the other specs.
    const packed = JSON.parse(
      await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], root),
    ) as Array<{ filename: string }>;
    const tarball = join(work, packed[0].filename);

    example = join(work, 'host-panel');
    cpSync(join(root, 'examples', 'host-panel'), example, {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|dist)$/.test(source),
    });
    const sqlite3 = JSON.parse(readFileSync(join(root, 'node_modules', 'sqlite3', 'package.json'), 'utf8')) as {
      version: string;
    };
    const prebuilds = join(work, 'prebuilds');
    mkdirSync(prebuilds);
    await run('tar', [
      '-czf',
      join(prebuilds, `sqlite3-v${sqlite3.version}-napi-v6-${process.platform}-${process.arch}.tar.gz`),
      '-C',
      join(root, 'node_modules', 'sqlite3'),
      'build/Release/node_sqlite3.node',
    ]);
    await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], example, {
      npm_config_sqlite3_local_prebuilds: prebuilds,
    });
    await npm(['run', 'build'], example);

    lab = await Lab.start({ dns: {} });
    await lab.publishDomain(domain);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    panel = Service.start('host panel', process.execPath, [join(example, 'dist', 'main.js')], join(work, 'panel.log'), {
      PANEL_PORT: String(port),
      PANEL_DATABASE: join(work, 'panel.sqlite'),
      PANEL_ADMIN_PASSWORD: 'host-admin-password',
      PUBLIC_IPV4: lab.address,
      MTA_STS_DATA_DIR: lab.dataDir,
      ACME_DIRECTORY_URL: lab.pebble.directoryUrl,
      ACME_CA_FILE: lab.pebble.apiCaFile,
      ADMIN_EMAIL: 'postmaster@example.net',
      DNS_SERVERS: lab.dnsmasq.server,
      CHECK_CA_FILE: lab.pebble.rootFile,
      SMTP_PROBE: 'false',
      NGINX_ARGS: lab.nginx.args.join(' '),
      NGINX_SITES_DIR: lab.nginx.sitesDir,
      NGINX_PID_FILE: lab.nginx.pidFile,
      HTTP_LISTEN: `${lab.address}:${lab.ports.http}`,
      HTTPS_LISTEN: `${lab.address}:${lab.ports.https}`,
    });
    await waitFor(
      'the host panel to listen',
      async () => {
        if (!panel.running) throw new Error(`${panel.describeExit()}: ${readFileSync(panel.logFile, 'utf8')}`);
        return (await fetch(`${url}/login`)).ok;
      },
      60_000,
    );
  }, 600_000);

  afterAll(async () => {
    await panel?.stop();
    await lab?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('installs with one copy of Nest and TypeORM, and sqlite3 built because the host allows its script', () => {
    const modules = join(example, 'node_modules');
    expect(existsSync(join(modules, 'nest-mta-sts', 'dist', 'index.d.ts'))).toBe(true);
    expect(existsSync(join(modules, 'nest-mta-sts', 'views', 'layouts', 'main.hbs'))).toBe(true);
    expect(existsSync(join(modules, 'nest-mta-sts', 'test'))).toBe(false);
    // Peers come from the host: nothing of Nest or TypeORM below the module's own folder.
    const nested = join(modules, 'nest-mta-sts', 'node_modules');
    const below = existsSync(nested) ? readdirSync(nested) : [];
    expect(below.filter((name) => ['@nestjs', 'typeorm', 'rxjs', 'reflect-metadata'].includes(name))).toEqual([]);
    expect(existsSync(join(modules, 'sqlite3', 'build', 'Release', 'node_sqlite3.node'))).toBe(true);
  });

  it('sends a visitor who is not signed in to the host’s sign-in, and back after it', async () => {
    const page = await fetch(`${url}/mail/mta-sts`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fmail%2Fmta-sts');
    expect((await fetch(`${url}/api/mta-sts/domains`)).status).toBe(403);

    const wrong = await fetch(`${url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'password=nope&next=%2Fmail%2Fmta-sts',
    });
    expect(wrong.status).toBe(401);
    const signIn = await fetch(`${url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'password=host-admin-password&next=%2Fmail%2Fmta-sts',
    });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe('/mail/mta-sts');
    cookie = signIn.headers.get('set-cookie')!.split(';')[0];
  });

  it('shows the module’s pages inside the host’s layout, with the module’s CSP', async () => {
    const page = await browse('/mail/mta-sts');
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('<nav id="panel-menu">');
    expect(html).toContain('<title>MTA-STS domains · Mail panel</title>');
    expect(html).toContain('<link rel="stylesheet" href="/mail/mta-sts/assets/panel.css">');
    expect(html).toContain('<div class="mta-sts mta-sts-embedded">');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect((await browse('/mail/mta-sts/assets/panel.css')).status).toBe(200);
  });

  it('adds a domain through the module’s page form, with the host’s session binding the CSRF token', async () => {
    const list = await (await browse('/mail/mta-sts')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(list)?.[1];
    expect(token).toBeDefined();
    const added = await browse('/mail/mta-sts/domains', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token!, domain }).toString(),
    });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe(`/mail/mta-sts/domains/${domain}`);
    const card = await (await browse(`/mail/mta-sts/domains/${domain}`)).text();
    expect(card).toContain('<nav id="panel-menu">');
    expect(card).toContain(`_mta-sts.${domain}`);
  });

  it('keeps the host’s own /api/domains and serves the module’s API at /api/mta-sts', async () => {
    expect(await api('GET', '/api/domains')).toEqual({ status: 200, body: { mailDomains: [] } });
    const listed = await api<{ domains: View[] }>('GET', '/api/mta-sts/domains');
    expect(listed.status).toBe(200);
    expect(listed.body.domains.map((view) => view.domain)).toEqual([domain]);
  });

  it('enables the domain: nginx serves the policy with a certificate from the lab’s CA', async () => {
    const shown = await api<View>('GET', `/api/mta-sts/domains/${domain}`);
    await lab.dnsmasq.update({ txt: { [`_mta-sts.${domain}`]: [`v=STSv1; id=${shown.body.policy.id}`] } });
    const enabled = await api<View>('POST', `/api/mta-sts/domains/${domain}/enable`);
    expect(enabled.status).toBe(202);
    let view = enabled.body;
    await waitFor(
      `${domain} to finish provisioning`,
      async () => {
        view = (await api<View>('GET', `/api/mta-sts/domains/${domain}`)).body;
        return view.state !== 'provisioning';
      },
      90_000,
    );
    expect(view.error).toBeNull();
    expect(view.state).toBe('active');
    expect(view.certificate?.issuer).toMatch(/Pebble/i);
    const served = await lab.fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt');
    expect(served.status).toBe(200);
    expect(served.body).toBe(view.policy.text);

    const home = await (await browse('/')).text();
    expect(home).toContain('<span id="mta-sts-count">1</span>');
  }, 120_000);
});
