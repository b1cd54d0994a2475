import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { InvalidOptionError } from '../../src/mta-sts/domain/errors';
import {
  LETSENCRYPT_PRODUCTION,
  LETSENCRYPT_STAGING,
  HostFacts,
  MtaStsModuleOptions,
  resolveMtaStsOptions,
} from '../../src/mta-sts/mta-sts.options';
import { InvalidSettingError, loadPanelConfig } from '../../src/panel/env';

const IPV4 = '192.0.2.10';
const IPV6 = '2001:db8::10';

function optionError(options: MtaStsModuleOptions): InvalidOptionError {
  try {
    resolveMtaStsOptions(options);
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw new Error(`expected InvalidOptionError, got ${String(error)}`);
  }
  throw new Error('expected the options to be refused');
}

function settingError(env: Record<string, string>): InvalidSettingError {
  try {
    loadPanelConfig(env);
  } catch (error) {
    if (error instanceof InvalidSettingError) return error;
    throw new Error(`expected InvalidSettingError, got ${String(error)}`);
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('resolveMtaStsOptions', () => {
  describe('defaults', () => {
    const resolved = resolveMtaStsOptions({ serverIpv4: IPV4 });

    it('resolves the default data directory to an absolute path', () => {
      expect(resolved.dataDir).toBe(resolve('./data'));
      expect(resolved.dataDir.startsWith('/')).toBe(true);
    });

    it("uses Let's Encrypt production as the ACME directory", () => {
      expect(resolved.acme.directoryUrl).toBe('https://acme-v02.api.letsencrypt.org/directory');
      expect(LETSENCRYPT_PRODUCTION).toBe('https://acme-v02.api.letsencrypt.org/directory');
    });

    it('applies the documented defaults everywhere else', () => {
      expect(resolved).toMatchObject({
        dataDir: resolve('./data'),
        serverIpv4: IPV4,
        serverIpv6: undefined,
        tlsRptRua: 'mailto:tls-reports@{domain}',
        defaultMaxAge: 604_800,
        acme: { directoryUrl: LETSENCRYPT_PRODUCTION, email: undefined, caFile: undefined, requestTimeoutMs: 30_000 },
        dns: { servers: [], timeoutMs: 3_000 },
        nginx: {
          bin: 'nginx',
          args: [],
          sitesDir: '/etc/nginx/conf.d',
          httpListen: ['80'],
          httpsListen: ['443'],
          rejectUnknownSni: true,
          serverNamesHashBucketSize: 512,
          commandTimeoutMs: 30_000,
          layout: 'per-domain',
        },
      });
      // Only the shared layout needs (and looks up) nginx's worker user.
      expect(resolved.nginx.workerUser).toBeUndefined();
      expect(resolved.apiToken).toBeUndefined();
      expect(resolved.authorizeApi).toBeUndefined();
    });

    it("looks for nginx's pid file at /run/nginx.pid", () => {
      expect(resolved.nginx.pidFile).toBe('/run/nginx.pid');
    });

    it('adds the IPv6 listen values when an IPv6 address is set', () => {
      const withIpv6 = resolveMtaStsOptions({ serverIpv4: IPV4, serverIpv6: IPV6 });
      expect(withIpv6.nginx.httpListen).toEqual(['80', '[::]:80']);
      expect(withIpv6.nginx.httpsListen).toEqual(['443', '[::]:443']);
    });

    it('accepts an IPv6 address alone', () => {
      const ipv6Only = resolveMtaStsOptions({ serverIpv6: IPV6 });
      expect(ipv6Only.serverIpv4).toBeUndefined();
      expect(ipv6Only.serverIpv6).toBe(IPV6);
      expect(ipv6Only.nginx.httpsListen).toEqual(['443', '[::]:443']);
    });

    it('keeps explicit listen values instead of the defaults', () => {
      const custom = resolveMtaStsOptions({
        serverIpv6: IPV6,
        nginx: { httpListen: ['127.0.0.1:8080'], httpsListen: ['[::1]:8443', '*:443'] },
      });
      expect(custom.nginx.httpListen).toEqual(['127.0.0.1:8080']);
      expect(custom.nginx.httpsListen).toEqual(['[::1]:8443', '*:443']);
    });
  });

  describe('nginx layout', () => {
    it("looks up the shared layout's worker user, www-data unless told otherwise", () => {
      const shared = resolveMtaStsOptions({ serverIpv4: IPV4, nginx: { layout: 'shared', workerUser: 'root' } });
      expect(shared.nginx.layout).toBe('shared');
      expect(shared.nginx.workerUser).toEqual({ name: 'root', uid: 0, gid: 0 });
      const nobody = resolveMtaStsOptions({ serverIpv4: IPV4, nginx: { layout: 'shared', workerUser: 'nobody' } });
      expect(nobody.nginx.workerUser).toMatchObject({ name: 'nobody', uid: 65534 });
    });

    it('takes the user www-data by default (when the system has one)', () => {
      let expected: string | undefined;
      try {
        expected = execFileSync('id', ['-u', 'www-data'], { encoding: 'utf8', stdio: 'pipe' }).trim();
      } catch {
        return; // no www-data here: the refusal below covers that case
      }
      const shared = resolveMtaStsOptions({ serverIpv4: IPV4, nginx: { layout: 'shared' } });
      expect(shared.nginx.workerUser).toMatchObject({ name: 'www-data', uid: Number(expected) });
    });

    it('accepts a numeric uid', () => {
      const shared = resolveMtaStsOptions({ serverIpv4: IPV4, nginx: { layout: 'shared', workerUser: '0' } });
      expect(shared.nginx.workerUser).toEqual({ name: 'root', uid: 0, gid: 0 });
    });

    it('refuses a worker user the system does not have, saying what to give', () => {
      const error = optionError({ serverIpv4: IPV4, nginx: { layout: 'shared', workerUser: 'no-such-user-mta-sts' } });
      expect(error.option).toBe('nginx.workerUser');
      expect(error.message).toMatch(/there is no user "no-such-user-mta-sts" on this system/);
      expect(error.message).toMatch(/"user" directive of nginx\.conf/);
    });

    it('does not look the worker user up in the per-domain layout', () => {
      const perDomain = resolveMtaStsOptions({ serverIpv4: IPV4, nginx: { workerUser: 'no-such-user-mta-sts' } });
      expect(perDomain.nginx.workerUser).toBeUndefined();
    });
  });

  it('keeps an absolute data directory as given', () => {
    expect(resolveMtaStsOptions({ serverIpv4: IPV4, dataDir: '/var/lib/mta-sts' }).dataDir).toBe('/var/lib/mta-sts');
  });

  it.each<[string, string]>([
    ['letsencrypt-staging', LETSENCRYPT_STAGING],
    ['letsencrypt-production', LETSENCRYPT_PRODUCTION],
    ['letsencrypt', LETSENCRYPT_PRODUCTION],
    ['https://localhost:14000/dir', 'https://localhost:14000/dir'],
  ])('resolves the ACME directory %s to %s', (given, expected) => {
    expect(resolveMtaStsOptions({ serverIpv4: IPV4, acme: { directoryUrl: given } }).acme.directoryUrl).toBe(expected);
  });

  it('uses the documented staging URL for the staging shorthand', () => {
    expect(LETSENCRYPT_STAGING).toBe('https://acme-staging-v02.api.letsencrypt.org/directory');
  });

  it.each<[string, MtaStsModuleOptions, string]>([
    ['no server address', {}, 'serverIpv4'],
    ['an out-of-range max_age', { serverIpv4: IPV4, defaultMaxAge: 3600 }, 'defaultMaxAge'],
    ['an empty nginx program', { serverIpv4: IPV4, nginx: { bin: ' ' } }, 'nginx.bin'],
    ['no listen value', { serverIpv4: IPV4, nginx: { httpsListen: [] } }, 'nginx.httpsListen'],
    ['port 0', { serverIpv4: IPV4, nginx: { httpListen: ['0'] } }, 'nginx.httpListen'],
    [
      'a negative hash bucket size',
      { serverIpv4: IPV4, nginx: { serverNamesHashBucketSize: -1 } },
      'nginx.serverNamesHashBucketSize',
    ],
    ['a fractional DNS timeout', { serverIpv4: IPV4, dns: { timeoutMs: 1.5 } }, 'dns.timeoutMs'],
    ['a CA file path with a quote', { serverIpv4: IPV4, acme: { caFile: '/etc/ca".pem' } }, 'acme.caFile'],
    ['a sites directory with a brace', { serverIpv4: IPV4, nginx: { sitesDir: '/etc/nginx/{x}' } }, 'nginx.sitesDir'],
    ['a blank data directory', { serverIpv4: IPV4, dataDir: '  ' }, 'dataDir'],
    ['an unknown nginx layout', { serverIpv4: IPV4, nginx: { layout: 'flat' as never } }, 'nginx.layout'],
    [
      'a worker user that is no user name',
      { serverIpv4: IPV4, nginx: { layout: 'shared', workerUser: 'a b' } },
      'nginx.workerUser',
    ],
  ])('refuses %s, naming the option', (_what, options, option) => {
    const error = optionError(options);
    expect(error.option).toBe(option);
    expect(error.message.startsWith(`${option}: `)).toBe(true);
  });
});

describe('resolveMtaStsOptions with the facts of another machine', () => {
  const facts = (overrides: Partial<HostFacts> = {}): HostFacts => ({
    user: (name) => (name === 'nginx' ? { name: 'nginx', uid: 101, gid: 102 } : undefined),
    readText: (file) => {
      if (file === '/etc/ssl/extra.pem') return '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      throw new Error(`ENOENT: no such file, open '${file}'`);
    },
    hostname: () => 'MX1.Example.NET',
    ...overrides,
  });
  const base = { serverIpv4: '192.0.2.10' };

  it('takes the worker user, the PEM files and the EHLO name from the facts, not from this machine', () => {
    const resolved = resolveMtaStsOptions(
      { ...base, nginx: { layout: 'shared', workerUser: 'nginx' }, checks: { caFile: '/etc/ssl/extra.pem' } },
      facts(),
    );
    expect(resolved.nginx.workerUser).toEqual({ name: 'nginx', uid: 101, gid: 102 });
    expect(resolved.checks.caPem).toContain('BEGIN CERTIFICATE');
    expect(resolved.checks.smtpProbe.heloName).toBe('mx1.example.net');
  });

  it('names the option when a fact is missing or cannot be read', () => {
    expect(() =>
      resolveMtaStsOptions({ ...base, nginx: { layout: 'shared', workerUser: 'www-data' } }, facts()),
    ).toThrow(/^nginx\.workerUser: there is no user "www-data" on this system/);
    expect(() =>
      resolveMtaStsOptions(
        { ...base, nginx: { layout: 'shared' } },
        facts({
          user: () => {
            throw new Error('getent timed out');
          },
        }),
      ),
    ).toThrow(/^nginx\.workerUser: cannot look up user "www-data": getent timed out/);
    expect(() => resolveMtaStsOptions({ ...base, acme: { caFile: '/missing.pem' } }, facts())).toThrow(
      /^acme\.caFile: cannot read \/missing\.pem: ENOENT/,
    );
    expect(() =>
      resolveMtaStsOptions(
        {
          ...base,
          notifications: {
            email: { to: ['a@example.net'], from: 'b@example.net', host: 'smtp.example.net', caFile: '/missing.pem' },
          },
        },
        facts(),
      ),
    ).toThrow(/^notifications\.email\.caFile: cannot read \/missing\.pem/);
  });
});

describe('loadPanelConfig', () => {
  const base = { MTA_STS_SERVER_IPV4: IPV4 };

  it('listens on 127.0.0.1:3000 by default and resolves the module defaults', () => {
    const config = loadPanelConfig(base);
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.resolved.dataDir).toBe(resolve('./data'));
    expect(config.resolved.acme.directoryUrl).toBe(LETSENCRYPT_PRODUCTION);
    expect(config.resolved.nginx.httpListen).toEqual(['80']);
    expect(config.resolved.nginx.httpsListen).toEqual(['443']);
  });

  it('adds [::]:80 and [::]:443 when MTA_STS_SERVER_IPV6 is set', () => {
    const config = loadPanelConfig({ ...base, MTA_STS_SERVER_IPV6: IPV6 });
    expect(config.resolved.nginx.httpListen).toEqual(['80', '[::]:80']);
    expect(config.resolved.nginx.httpsListen).toEqual(['443', '[::]:443']);
  });

  it('accepts the letsencrypt-staging shorthand', () => {
    const config = loadPanelConfig({ ...base, MTA_STS_ACME_DIRECTORY_URL: 'letsencrypt-staging' });
    expect(config.resolved.acme.directoryUrl).toBe(LETSENCRYPT_STAGING);
  });

  it('reads PORT, HOST and comma lists, trimming the items', () => {
    const config = loadPanelConfig({
      ...base,
      PORT: '8080',
      HOST: ' 0.0.0.0 ',
      MTA_STS_DNS_SERVERS: '192.0.2.53, 192.0.2.54:5353 ,[2001:db8::53]:53',
      MTA_STS_HTTPS_LISTEN: '443, 127.0.0.1:8443',
    });
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.resolved.dns.servers).toEqual(['192.0.2.53', '192.0.2.54:5353', '[2001:db8::53]:53']);
    expect(config.resolved.nginx.httpsListen).toEqual(['443', '127.0.0.1:8443']);
  });

  it.each<[string, boolean]>([
    ['off', false],
    ['FALSE', false],
    ['0', false],
    ['yes', true],
    ['On', true],
  ])('reads MTA_STS_NGINX_REJECT_UNKNOWN_SNI=%s as %s', (raw, expected) => {
    expect(loadPanelConfig({ ...base, MTA_STS_NGINX_REJECT_UNKNOWN_SNI: raw }).resolved.nginx.rejectUnknownSni).toBe(
      expected,
    );
  });

  it('reads MTA_STS_NGINX_HASH_BUCKET_SIZE=0 as "leave nginx alone"', () => {
    expect(
      loadPanelConfig({ ...base, MTA_STS_NGINX_HASH_BUCKET_SIZE: '0' }).resolved.nginx.serverNamesHashBucketSize,
    ).toBe(0);
  });

  it('reads MTA_STS_NGINX_LAYOUT and MTA_STS_NGINX_WORKER_USER', () => {
    expect(loadPanelConfig(base).resolved.nginx.layout).toBe('per-domain');
    const config = loadPanelConfig({ ...base, MTA_STS_NGINX_LAYOUT: ' shared ', MTA_STS_NGINX_WORKER_USER: 'nobody' });
    expect(config.resolved.nginx.layout).toBe('shared');
    expect(config.resolved.nginx.workerUser).toMatchObject({ name: 'nobody', uid: 65534 });
  });

  it('splits MTA_STS_NGINX_ARGS into words, honouring double quotes', () => {
    const config = loadPanelConfig({ ...base, MTA_STS_NGINX_ARGS: '-p /tmp/x -c "/tmp/x/nginx.conf"' });
    expect(config.resolved.nginx.args).toEqual(['-p', '/tmp/x', '-c', '/tmp/x/nginx.conf']);
  });

  it('keeps a quoted argument with spaces as one word', () => {
    const config = loadPanelConfig({ ...base, MTA_STS_NGINX_ARGS: '-p \'/tmp/my dir\' -g "daemon off;"' });
    expect(config.resolved.nginx.args).toEqual(['-p', '/tmp/my dir', '-g', 'daemon off;']);
  });

  it.each<[string, Record<string, string>, string]>([
    ['an impossible IPv4 address', { MTA_STS_SERVER_IPV4: '999.1.1.1' }, 'MTA_STS_SERVER_IPV4'],
    ['neither IPv4 nor IPv6', { MTA_STS_SERVER_IPV4: '' }, 'MTA_STS_SERVER_IPV4'],
    ['a word as IPv6 address', { MTA_STS_SERVER_IPV6: 'nope' }, 'MTA_STS_SERVER_IPV6'],
    ['a plain http ACME directory', { MTA_STS_ACME_DIRECTORY_URL: 'http://x' }, 'MTA_STS_ACME_DIRECTORY_URL'],
    ['an ACME directory that is not a URL', { MTA_STS_ACME_DIRECTORY_URL: 'not a url' }, 'MTA_STS_ACME_DIRECTORY_URL'],
    ['an e-mail address without @', { MTA_STS_ACME_EMAIL: 'bad' }, 'MTA_STS_ACME_EMAIL'],
    ['a DNS server given by name', { MTA_STS_DNS_SERVERS: 'dns.example' }, 'MTA_STS_DNS_SERVERS'],
    ['a listen value with parameters', { MTA_STS_HTTP_LISTEN: '80 ssl' }, 'MTA_STS_HTTP_LISTEN'],
    ['a port over 65535', { MTA_STS_HTTPS_LISTEN: '99999' }, 'MTA_STS_HTTPS_LISTEN'],
    ['a data directory with a semicolon', { MTA_STS_DATA_DIR: '/var/lib/mta-sts;rm' }, 'MTA_STS_DATA_DIR'],
    ['a data directory with a double quote', { MTA_STS_DATA_DIR: '/var/lib/"mta-sts' }, 'MTA_STS_DATA_DIR'],
    ['a data directory with a single quote', { MTA_STS_DATA_DIR: "/var/lib/'mta-sts" }, 'MTA_STS_DATA_DIR'],
    ['a sites directory with a dollar sign', { MTA_STS_NGINX_SITES_DIR: '/etc/$nginx' }, 'MTA_STS_NGINX_SITES_DIR'],
    ['a CA file with a backslash', { MTA_STS_ACME_CA_FILE: '/etc\\ca.pem' }, 'MTA_STS_ACME_CA_FILE'],
    ['a pid file with a semicolon', { MTA_STS_NGINX_PID_FILE: '/run/nginx.pid;x' }, 'MTA_STS_NGINX_PID_FILE'],
    ['a short API token', { MTA_STS_API_TOKEN: 'short' }, 'MTA_STS_API_TOKEN'],
    ['a non-numeric port', { PORT: 'abc' }, 'PORT'],
    ['port 0', { PORT: '0' }, 'PORT'],
    ['a port over 65535', { PORT: '65536' }, 'PORT'],
    ['a rua without a scheme', { MTA_STS_TLSRPT_RUA: 'foo' }, 'MTA_STS_TLSRPT_RUA'],
    ['an undecided boolean', { MTA_STS_NGINX_REJECT_UNKNOWN_SNI: 'maybe' }, 'MTA_STS_NGINX_REJECT_UNKNOWN_SNI'],
    ['a negative hash bucket size', { MTA_STS_NGINX_HASH_BUCKET_SIZE: '-1' }, 'MTA_STS_NGINX_HASH_BUCKET_SIZE'],
    ['an unbalanced quote in the nginx arguments', { MTA_STS_NGINX_ARGS: '-p "/tmp/x' }, 'MTA_STS_NGINX_ARGS'],
    ['an unknown nginx layout', { MTA_STS_NGINX_LAYOUT: 'flat' }, 'MTA_STS_NGINX_LAYOUT'],
    ['an unknown log format', { MTA_STS_LOG_FORMAT: 'xml' }, 'MTA_STS_LOG_FORMAT'],
    ['a trusted proxy that is no address', { MTA_STS_TRUST_PROXY: 'proxy.example' }, 'MTA_STS_TRUST_PROXY'],
    ['a trusted range with a wrong mask', { MTA_STS_TRUST_PROXY: '10.0.0.0/33' }, 'MTA_STS_TRUST_PROXY'],
    ['a database URL that is no URL', { MTA_STS_DATABASE_URL: 'db.example:5432' }, 'MTA_STS_DATABASE_URL'],
    ['a database URL of another kind', { MTA_STS_DATABASE_URL: 'mysql://db.example/mta' }, 'MTA_STS_DATABASE_URL'],
    ['a database URL without a database', { MTA_STS_DATABASE_URL: 'postgres://db.example' }, 'MTA_STS_DATABASE_URL'],
    [
      'a worker user the system does not have',
      { MTA_STS_NGINX_LAYOUT: 'shared', MTA_STS_NGINX_WORKER_USER: 'no-such-user-mta-sts' },
      'MTA_STS_NGINX_WORKER_USER',
    ],
  ])('refuses %s and names the variable', (_what, env, variable) => {
    const error = settingError({ ...base, ...env });
    expect(error.variable).toBe(variable);
    expect(error.name).toBe('InvalidSettingError');
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    // The module's option name is replaced by the variable, not repeated after it.
    expect(error.message.slice(variable.length + 2)).not.toMatch(/^[a-zA-Z.]+: /);
  });

  it('uses SQLite in the data directory unless a PostgreSQL database is given', () => {
    expect(loadPanelConfig(base).databaseUrl).toBeUndefined();
    const url = 'postgresql://mta_sts:secret@db.example:5432/mta_sts';
    expect(loadPanelConfig({ ...base, MTA_STS_DATABASE_URL: ` ${url} ` }).databaseUrl).toBe(url);
    // The password is not shown in the error.
    expect(settingError({ ...base, MTA_STS_DATABASE_URL: 'mysql://u:topsecret@db/x' }).message).not.toContain(
      'topsecret',
    );
  });

  it('reads the log format and the trusted proxies', () => {
    expect(loadPanelConfig(base)).toMatchObject({ logFormat: 'text', trustProxy: 'loopback' });
    expect(loadPanelConfig({ ...base, MTA_STS_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    const trusted = (value: string) => loadPanelConfig({ ...base, MTA_STS_TRUST_PROXY: value }).trustProxy;
    expect(trusted('false')).toBe(false);
    expect(trusted('2')).toBe(2);
    expect(trusted('loopback, 10.0.0.0/8,fd00::/8')).toBe('loopback,10.0.0.0/8,fd00::/8');
  });

  it('shows the refused value in the message', () => {
    expect(settingError({ MTA_STS_SERVER_IPV4: '999.1.1.1' }).message).toBe(
      'MTA_STS_SERVER_IPV4: "999.1.1.1" is not an IPv4 address',
    );
  });
});
