import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULTS_FILE_NAME,
  NginxListenSettings,
  NginxSharedSettings,
  SHARED_FILE_NAME,
  hostOfServedFile,
  isSiteFileName,
  renderDefaultsConfig,
  renderSharedConfig,
  renderSiteConfig,
  servedFileName,
  siteFileName,
} from '../../src/mta-sts/adapters/nginx/nginx-config';
import { PolicySite } from '../../src/mta-sts/ports/web-server.port';

const GOLDEN = join(__dirname, '..', 'golden');

const listen: NginxListenSettings = { httpListen: ['80', '[::]:80'], httpsListen: ['443', '[::]:443'] };

const site: PolicySite = {
  host: 'mta-sts.example.com',
  policyFile: '/var/lib/mta-sts/policies/example.com.txt',
  acmeWebroot: '/var/lib/mta-sts/webroot',
};

const tlsSite: PolicySite = {
  ...site,
  tls: { bundleFile: '/var/lib/mta-sts/certs/example.com/certificate.pem' },
};

function expectGolden(rendered: string, name: string): void {
  const expected = readFileSync(join(GOLDEN, name));
  // toBe first for a readable diff, then the byte comparison that actually counts.
  expect(rendered).toBe(expected.toString('utf8'));
  expect(Buffer.from(rendered, 'utf8').equals(expected)).toBe(true);
}

/** The text of the `server { ... }` blocks, in order (server blocks hold no nested braces at column 0). */
function serverBlocks(config: string): string[] {
  return config.match(/^server \{\n[\s\S]*?^\}\n/gm) ?? [];
}

describe('renderSiteConfig', () => {
  it('renders a policy host without a certificate like the golden file', () => {
    expectGolden(renderSiteConfig(site, listen), 'site-http-only.conf');
  });

  it('renders a policy host with a certificate like the golden file', () => {
    expectGolden(renderSiteConfig(tlsSite, listen), 'site-with-tls.conf');
  });

  it('has only the port 80 block before a certificate exists', () => {
    const blocks = serverBlocks(renderSiteConfig(site, listen));
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toContain('    listen 80;\n    listen [::]:80;\n');
    expect(blocks[0]).not.toContain('ssl');
  });

  it('serves only ACME challenges on port 80 and answers 404 to everything else', () => {
    const [http] = serverBlocks(renderSiteConfig(tlsSite, listen));
    const locations = http.match(/location [^{]+\{/g);
    expect(locations).toEqual(['location ^~ /.well-known/acme-challenge/ {', 'location / {']);
    expect(http).toContain('root "/var/lib/mta-sts/webroot";');
    expect(http).toContain('try_files $uri =404;');
    expect(http).toMatch(/location \/ \{\n\s+return 404;\n\s+\}/);
    expect(http).not.toContain('mta-sts.txt');
    expect(http).not.toMatch(/return 30[1278]/);
  });

  it('serves the policy on 443 at the exact location as plain text/plain, TLS 1.2 and 1.3 only', () => {
    const [, https] = serverBlocks(renderSiteConfig(tlsSite, listen));
    expect(https).toContain('    listen 443 ssl;\n    listen [::]:443 ssl;\n');
    expect(https).toContain('server_name mta-sts.example.com;');
    expect(https).toContain('ssl_certificate "/var/lib/mta-sts/certs/example.com/certificate.pem";');
    expect(https).toContain('ssl_certificate_key "/var/lib/mta-sts/certs/example.com/certificate.pem";');
    expect(https).toContain('ssl_protocols TLSv1.2 TLSv1.3;');
    const policyLocation = https.match(/location = \/\.well-known\/mta-sts\.txt \{[^}]*\{ \}[^}]*\}/)?.[0];
    expect(policyLocation).toBeDefined();
    expect(policyLocation).toContain('alias "/var/lib/mta-sts/policies/example.com.txt";');
    expect(policyLocation).toContain('types { }');
    expect(policyLocation).toContain('default_type text/plain;');
    expect(policyLocation).toContain('charset off;');
    expect(https).toMatch(/location \/ \{\n\s+return 404;\n\s+\}/);
    expect(https).not.toContain('acme-challenge');
  });

  it('writes one listen line per configured value', () => {
    const config = renderSiteConfig(tlsSite, { httpListen: ['127.0.0.1:8080'], httpsListen: ['127.0.0.1:8443'] });
    expect(config.match(/^\s+listen .*$/gm)).toEqual(['    listen 127.0.0.1:8080;', '    listen 127.0.0.1:8443 ssl;']);
  });

  it('leaves no template syntax and no HTML escaping in the output', () => {
    const config = renderSiteConfig({ ...tlsSite, acmeWebroot: '/srv/a&b/webroot' }, listen);
    expect(config).not.toMatch(/\{\{|\}\}/);
    expect(config).toContain('root "/srv/a&b/webroot";');
  });

  it('names the site file after the policy host', () => {
    expect(siteFileName('mta-sts.example.com')).toBe('mta-sts.example.com.conf');
  });
});

describe('renderDefaultsConfig', () => {
  it('renders the hash bucket size and the unknown-SNI catch-all like the golden file', () => {
    expectGolden(
      renderDefaultsConfig({ ...listen, rejectUnknownSni: true, serverNamesHashBucketSize: 128 }),
      'defaults.conf',
    );
  });

  it('rejects unknown SNI names with default_server on every https listen value', () => {
    const config = renderDefaultsConfig({ ...listen, rejectUnknownSni: true, serverNamesHashBucketSize: 128 });
    const [catchAll] = serverBlocks(config);
    expect(catchAll).toBe(
      [
        'server {',
        '    listen 443 ssl default_server;',
        '    listen [::]:443 ssl default_server;',
        '    server_name _;',
        '    ssl_reject_handshake on;',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('leaves out the catch-all server when rejectUnknownSni is false', () => {
    const config = renderDefaultsConfig({ ...listen, rejectUnknownSni: false, serverNamesHashBucketSize: 128 });
    expect(config).toBe(
      '# Written by the MTA-STS module. Edits are overwritten.\n' +
        '# Room for long policy host names (mta-sts.<domain> can reach 253 characters).\n' +
        'server_names_hash_bucket_size 128;\n',
    );
    expect(serverBlocks(config)).toEqual([]);
    expect(config).not.toContain('ssl_reject_handshake');
    expect(config).not.toContain('default_server');
  });

  it('leaves out the hash bucket size when it is 0', () => {
    const config = renderDefaultsConfig({ ...listen, rejectUnknownSni: true, serverNamesHashBucketSize: 0 });
    expect(config).not.toContain('server_names_hash_bucket_size');
    expect(config).toContain('ssl_reject_handshake on;');
    const golden = readFileSync(join(GOLDEN, 'defaults.conf'), 'utf8');
    expect(config).toBe(golden.replace(/# Room for[^\n]*\nserver_names_hash_bucket_size 128;\n/, ''));
  });

  it('is only a comment when both settings are off', () => {
    expect(renderDefaultsConfig({ ...listen, rejectUnknownSni: false, serverNamesHashBucketSize: 0 })).toBe(
      '# Written by the MTA-STS module. Edits are overwritten.\n',
    );
  });

  it('uses a file name that sorts before the per-domain site files', () => {
    expect(DEFAULTS_FILE_NAME).toBe('00-mta-sts-defaults.conf');
    expect([siteFileName('mta-sts.0.example'), DEFAULTS_FILE_NAME].sort()[0]).toBe(DEFAULTS_FILE_NAME);
  });
});

describe('renderSharedConfig', () => {
  const settings: NginxSharedSettings = {
    ...listen,
    servedDir: '/var/lib/mta-sts/served',
    policiesDir: '/var/lib/mta-sts/policies',
    acmeWebroot: '/var/lib/mta-sts/webroot',
  };
  const config = renderSharedConfig(settings);
  const [http, https] = serverBlocks(config);
  const hostPattern = 'server_name "~^mta-sts\\.(?<mta_sts_domain>[a-z0-9.-]+)$";';

  it('renders every policy host in one file like the golden file', () => {
    expectGolden(config, 'shared.conf');
  });

  it('has one port 80 and one port 443 server, both for every mta-sts.<domain> name', () => {
    expect(serverBlocks(config)).toHaveLength(2);
    expect(http).toContain('    listen 80;\n    listen [::]:80;\n');
    expect(https).toContain('    listen 443 ssl;\n    listen [::]:443 ssl;\n');
    expect(http).toContain(hostPattern);
    expect(https).toContain(hostPattern);
    expect(config).not.toContain('default_server');
  });

  it('serves only ACME challenges on port 80 and answers 404 to everything else', () => {
    expect(http.match(/location [^{]+\{/g)).toEqual(['location ^~ /.well-known/acme-challenge/ {', 'location / {']);
    expect(http).toContain('root "/var/lib/mta-sts/webroot";');
    expect(http).toMatch(/location \/ \{\n\s+return 404;\n\s+\}/);
    expect(http).not.toContain('ssl');
  });

  it('takes the certificate and key from the served link named after the checked SNI name', () => {
    expect(config).toMatch(
      /^map \$ssl_server_name \$mta_sts_served_name \{\n {4}"~\^mta-sts\\\.\[a-z0-9\.-\]\+\$" \$ssl_server_name;\n {4}default "";\n\}$/m,
    );
    expect(https).toContain('ssl_certificate "/var/lib/mta-sts/served/$mta_sts_served_name.pem";');
    expect(https).toContain('ssl_certificate_key "/var/lib/mta-sts/served/$mta_sts_served_name.pem";');
    expect(https).toContain('ssl_protocols TLSv1.2 TLSv1.3;');
  });

  it('serves the policy of the requested host at the exact location as plain text/plain', () => {
    const policyLocation = https.match(/location = \/\.well-known\/mta-sts\.txt \{[^}]*\{ \}[^}]*\}/)?.[0];
    expect(policyLocation).toBeDefined();
    expect(policyLocation).toContain('alias "/var/lib/mta-sts/policies/$mta_sts_domain.txt";');
    expect(policyLocation).toContain('types { }');
    expect(policyLocation).toContain('default_type text/plain;');
    expect(policyLocation).toContain('charset off;');
    expect(https).toMatch(/location \/ \{\n\s+return 404;\n\s+\}/);
    expect(https).not.toContain('acme-challenge');
  });

  it('only lets names of letters, digits, dots and hyphens into the certificate path', () => {
    // The patterns as nginx (PCRE) reads them; JavaScript agrees on this syntax.
    const mapPattern = new RegExp(/"~(\^mta-sts[^"]+)"/.exec(config)![1]);
    const serverPattern = new RegExp(/server_name "~(\^mta-sts[^"]+)"/.exec(config)![1]);
    for (const name of ['mta-sts.example.com', 'mta-sts.xn--bcher-kva.example']) {
      expect(mapPattern.test(name)).toBe(true);
      expect(serverPattern.exec(name)?.groups?.mta_sts_domain).toBe(name.slice('mta-sts.'.length));
    }
    for (const name of ['mta-sts.a/../../etc/x', 'mta-sts.a\\b', 'mta-sts.', 'other.example', 'MTA-STS.EXAMPLE.COM']) {
      expect(mapPattern.test(name)).toBe(false);
      expect(serverPattern.test(name)).toBe(false);
    }
  });

  it('writes one listen line per configured value and no template syntax', () => {
    const custom = renderSharedConfig({ ...settings, httpListen: ['127.0.0.1:8080'], httpsListen: ['127.0.0.1:8443'] });
    expect(custom.match(/^\s+listen .*$/gm)).toEqual(['    listen 127.0.0.1:8080;', '    listen 127.0.0.1:8443 ssl;']);
    expect(custom).not.toMatch(/\{\{|\}\}/);
  });

  it('uses a file name that sorts after the defaults file and before the per-domain files', () => {
    expect(SHARED_FILE_NAME).toBe('00-mta-sts-shared.conf');
    expect([siteFileName('mta-sts.0.example'), SHARED_FILE_NAME, DEFAULTS_FILE_NAME].sort()).toEqual([
      DEFAULTS_FILE_NAME,
      SHARED_FILE_NAME,
      'mta-sts.0.example.conf',
    ]);
  });

  it('names served links after the policy host and tells them from temporary files', () => {
    expect(servedFileName('mta-sts.example.com')).toBe('mta-sts.example.com.pem');
    expect(hostOfServedFile('mta-sts.example.com.pem')).toBe('mta-sts.example.com');
    expect(hostOfServedFile('.mta-sts.example.com.pem.0a1b2c.tmp')).toBeUndefined();
    expect(isSiteFileName('mta-sts.example.com.conf')).toBe(true);
    expect(isSiteFileName(DEFAULTS_FILE_NAME)).toBe(false);
    expect(isSiteFileName(SHARED_FILE_NAME)).toBe(false);
  });
});
