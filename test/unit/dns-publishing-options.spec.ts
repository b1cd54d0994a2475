import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '../../src/mta-sts/domain/errors';
import { resolveDnsPublishing } from '../../src/mta-sts/options/resolve-dns-publishing';
import { loadPanelConfig } from '../../src/panel/env';

const SECRET = Buffer.alloc(32, 9).toString('base64');
const rfc2136 = {
  kind: 'rfc2136' as const,
  zone: 'Example.COM.',
  server: '192.0.2.53',
  keyName: 'mta-sts',
  keySecret: SECRET,
};

describe('The DNS publishing options', () => {
  it('are off by default, with the documented defaults', () => {
    expect(resolveDnsPublishing(undefined)).toEqual({
      zones: [],
      ttl: 300,
      timeoutMs: 5_000,
      convergenceTimeoutMs: 120_000,
      authoritativePort: 53,
    });
  });

  it('read a zone written with RFC 2136 and one on PowerDNS, in canonical form', () => {
    const resolved = resolveDnsPublishing({
      zones: [
        { ...rfc2136, server: '[2001:db8::53]:5353' },
        {
          kind: 'powerdns',
          zone: 'example.org',
          apiUrl: 'http://127.0.0.1:8081/',
          apiKey: 'k',
          dnsServer: '127.0.0.1:5300',
        },
      ],
    });
    expect(resolved.zones).toEqual([
      {
        kind: 'rfc2136',
        zone: 'example.com',
        server: { host: '2001:db8::53', port: 5353 },
        keyName: 'mta-sts',
        secret: Buffer.alloc(32, 9),
      },
      {
        kind: 'powerdns',
        zone: 'example.org',
        apiUrl: 'http://127.0.0.1:8081',
        apiKey: 'k',
        serverId: 'localhost',
        dnsServer: { host: '127.0.0.1', port: 5300 },
      },
    ]);
  });

  it('name the setting that is wrong', () => {
    const refused = (zones: unknown[]) => {
      try {
        resolveDnsPublishing({ zones: zones as never });
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidOptionError);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refused([{ ...rfc2136, keySecret: 'c2hvcnQ=' }])).toBe(
      'dnsPublishing.zones[0].keySecret: must be a base64 secret of at least 16 bytes',
    );
    expect(refused([{ ...rfc2136, server: 'ns1.example.com' }])).toBe(
      'dnsPublishing.zones[0].server: "ns1.example.com" is not an IP address with an optional :port',
    );
    expect(refused([{ ...rfc2136, zone: 'not a zone' }])).toBe(
      'dnsPublishing.zones[0].zone: "not a zone" is not a domain name',
    );
    expect(refused([rfc2136, rfc2136])).toBe('dnsPublishing.zones: example.com is listed twice');
    expect(refused([{ ...rfc2136, kind: 'route53' }])).toBe(
      'dnsPublishing.zones[0].kind: must be "rfc2136" or "powerdns"',
    );
    expect(
      refused([{ kind: 'powerdns', zone: 'example.org', apiUrl: 'ftp://x', apiKey: 'k', dnsServer: '127.0.0.1' }]),
    ).toBe('dnsPublishing.zones[0].apiUrl: must be an http:// or https:// URL');
  });
});

describe('MTA_STS_DNS_ZONES_FILE', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zones-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (contents: string, mode = 0o600) => {
    const file = join(dir, 'zones.json');
    writeFileSync(file, contents);
    chmodSync(file, mode);
    return loadPanelConfig({ MTA_STS_SERVER_IPV4: '192.0.2.10', MTA_STS_DNS_ZONES_FILE: file });
  };

  it('gives the module the zones of a file only its owner may read', () => {
    const config = load(JSON.stringify({ zones: [rfc2136], ttl: 600 }));
    expect(config.resolved.dnsPublishing.zones.map((zone) => zone.zone)).toEqual(['example.com']);
    expect(config.resolved.dnsPublishing.ttl).toBe(600);
  });

  it('refuses a file others may read, one that is not JSON, and a wrong zone, naming the variable', () => {
    expect(() => load(JSON.stringify({ zones: [rfc2136] }), 0o644)).toThrow(
      /MTA_STS_DNS_ZONES_FILE: .*zones\.json holds secrets but other users may read it \(mode 644\); chmod 600 it/,
    );
    expect(() => load('{ zones: ')).toThrow(/MTA_STS_DNS_ZONES_FILE: .* is not JSON/);
    expect(() => load(JSON.stringify({ zones: [{ ...rfc2136, keySecret: '' }] }))).toThrow(
      'MTA_STS_DNS_ZONES_FILE: zones[0].keySecret: is required',
    );
  });
});
