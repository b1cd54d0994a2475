import { X509Certificate } from 'node:crypto';
import { NodeSmtpProber } from '../../src/mta-sts/adapters/smtp/node-smtp.prober';
import { DnsResolver, MxRecord } from '../../src/mta-sts/ports';
import { selfSigned } from '../support/self-signed';
import {
  closedPort,
  LoopbackSmtpServer,
  ScriptedSmtpServer,
  startScriptedSmtpServer,
  startSmtpServer,
} from '../support/smtp-server';
import { IssuedPair, TestCa } from '../support/test-ca';

const HOST = 'mx1.example.com';
const HELO = 'panel.example.net';
const DAY_MS = 86_400_000;

/** Addresses for the names a test configured; any other look-up fails the probe visibly. */
class FakeDnsResolver extends DnsResolver {
  readonly lookups: string[] = [];

  constructor(private readonly hosts: Record<string, { 4?: string[]; 6?: string[] } | Error>) {
    super();
  }

  async resolveAddresses(name: string, family: 4 | 6): Promise<string[]> {
    this.lookups.push(`${family === 4 ? 'A' : 'AAAA'} ${name}`);
    const entry = this.hosts[name];
    if (entry === undefined) throw new Error(`unexpected look-up of ${name}`);
    if (entry instanceof Error) throw entry;
    return [...(entry[family] ?? [])];
  }

  async resolveMx(name: string): Promise<MxRecord[]> {
    throw new Error(`unexpected MX look-up of ${name}`);
  }

  async resolveTxt(name: string): Promise<string[]> {
    throw new Error(`unexpected TXT look-up of ${name}`);
  }

  async resolveCname(name: string): Promise<string[]> {
    throw new Error(`unexpected CNAME look-up of ${name}`);
  }

  async resolvePtr(address: string): Promise<string[]> {
    throw new Error(`unexpected PTR look-up of ${address}`);
  }
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The first PEM block: a leaf sent without its chain. */
function leafOnly(pair: IssuedPair): string {
  return /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/.exec(pair.certificatePem)![0];
}

describe('NodeSmtpProber', () => {
  let ca: TestCa;
  let good: IssuedPair;
  const servers: Array<LoopbackSmtpServer | ScriptedSmtpServer> = [];

  beforeAll(async () => {
    ca = await TestCa.create('Probe Test CA');
    good = await ca.issue([HOST, 'mx2.example.com']);
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  function prober(
    port: number,
    dns: DnsResolver = new FakeDnsResolver({ [HOST]: { 4: ['127.0.0.1'] } }),
    timeoutMs = 5000,
  ) {
    return new NodeSmtpProber({ port, timeoutMs, heloName: HELO, extraCaPem: ca.certificatePem }, dns);
  }

  async function real(options: Parameters<typeof startSmtpServer>[0]) {
    const server = await startSmtpServer(options);
    servers.push(server);
    return server;
  }

  async function scripted(options: Parameters<typeof startScriptedSmtpServer>[0]) {
    const server = await startScriptedSmtpServer(options);
    servers.push(server);
    return server;
  }

  describe('with a valid certificate', () => {
    it('passes and reports TLS 1.3, the expiry and the names', async () => {
      const server = await real({ certificatePem: good.certificatePem, privateKeyPem: good.privateKeyPem });

      const result = await prober(server.port).probe('MX1.Example.com.');

      const notAfter = new Date(leafNotAfter(good));
      expect(result).toEqual({
        host: HOST,
        ok: true,
        summary: `${HOST} (127.0.0.1) offers STARTTLS with TLSv1.3 and a valid certificate until ${day(notAfter)}`,
        addresses: [
          {
            address: '127.0.0.1',
            ok: true,
            tlsVersion: 'TLSv1.3',
            certificateNotAfter: notAfter,
            certificateNames: [HOST, 'mx2.example.com'],
          },
        ],
      });
    });

    it('passes with a server that stops at TLS 1.2 and reports TLSv1.2', async () => {
      const server = await real({ ...good, maxTlsVersion: 'TLSv1.2', banner: 'Postfix' });

      const result = await prober(server.port).probe(HOST);

      expect(result.ok).toBe(true);
      expect(result.addresses[0].tlsVersion).toBe('TLSv1.2');
      expect(result.summary).toContain('offers STARTTLS with TLSv1.2');
    });

    it('passes when the name is covered by a wildcard', async () => {
      const server = await real(await ca.issue(['*.example.com']));

      const result = await prober(server.port).probe(HOST);

      expect(result.ok).toBe(true);
      expect(result.addresses[0].certificateNames).toEqual(['*.example.com']);
    });
  });

  describe('certificate problems', () => {
    it('reports an expired certificate with its expiry date', async () => {
      const notAfter = new Date(Math.floor((Date.now() - 3 * DAY_MS) / 1000) * 1000);
      const expired = await ca.issue([HOST], { notBefore: new Date(Date.now() - 90 * DAY_MS), notAfter });
      const server = await real(expired);

      const result = await prober(server.port).probe(HOST);

      expect(result.ok).toBe(false);
      expect(result.summary).toBe(`${HOST} (127.0.0.1) presents a certificate that expired on ${day(notAfter)}`);
      expect(result.addresses[0]).toMatchObject({ ok: false, tlsVersion: 'TLSv1.3', certificateNotAfter: notAfter });
    });

    it('reports a certificate for another name, with the names it is for', async () => {
      const server = await real(await ca.issue(['mail.other.net']));

      const result = await prober(server.port).probe(HOST);

      expect(result.ok).toBe(false);
      expect(result.summary).toBe(`${HOST} (127.0.0.1) presents a certificate that is for mail.other.net, not ${HOST}`);
      expect(result.addresses[0].certificateNames).toEqual(['mail.other.net']);
    });

    it('reports a self-signed certificate as not signed by a trusted CA', async () => {
      const own = selfSigned({ subject: `/CN=${HOST}`, extensions: [`subjectAltName=DNS:${HOST}`] });
      const server = await real(own);

      const result = await prober(server.port).probe(HOST);

      expect(result.ok).toBe(false);
      expect(result.summary).toBe(
        `${HOST} (127.0.0.1) presents a certificate that is not signed by a trusted CA (self-signed?)`,
      );
    });

    it('reports a chain to an unknown CA, and the wrong name with it', async () => {
      const stranger = await TestCa.create('Stranger CA');
      const server = await real(await stranger.issue(['mail.other.net']));

      const result = await prober(server.port).probe(HOST);

      expect(result.summary).toBe(
        `${HOST} (127.0.0.1) presents a certificate that is not signed by a trusted CA (self-signed?) ` +
          `and is for mail.other.net, not ${HOST}`,
      );
    });

    it('reports a leaf whose issuer is unknown', async () => {
      const stranger = await TestCa.create('Stranger CA');
      const pair = await stranger.issue([HOST]);
      const server = await real({ certificatePem: leafOnly(pair), privateKeyPem: pair.privateKeyPem });

      const result = await prober(server.port).probe(HOST);

      expect(result.ok).toBe(false);
      expect(result.summary).toMatch(/presents a certificate that is not signed by a trusted CA \(a private CA/);
    });

    it('does not trust the test CA unless it is configured', async () => {
      const server = await real(good);
      const dns = new FakeDnsResolver({ [HOST]: { 4: ['127.0.0.1'] } });

      const result = await new NodeSmtpProber({ port: server.port, timeoutMs: 5000, heloName: HELO }, dns).probe(HOST);

      expect(result.ok).toBe(false);
      expect(result.summary).toContain('is not signed by a trusted CA');
    });
  });

  describe('SMTP and TLS problems', () => {
    it('reports a server that does not offer STARTTLS', async () => {
      const server = await real({ hideSTARTTLS: true });

      const result = await prober(server.port).probe(HOST);

      expect(result).toMatchObject({
        ok: false,
        summary: `${HOST} (127.0.0.1) does not offer STARTTLS`,
        addresses: [{ address: '127.0.0.1', ok: false, problem: `${HOST} (127.0.0.1) does not offer STARTTLS` }],
      });
    });

    it('reports a refused STARTTLS, after EHLO with the configured name, and says QUIT', async () => {
      const server = await scripted({
        greeting: ['220 mx1.example.com ESMTP\r\n'],
        answers: {
          EHLO: ['250-mx1.example.com\r\n250-PIPELINING\r\n250 STARTTLS\r\n'],
          STARTTLS: ['454 4.7.0 TLS not available due to local problem\r\n'],
          QUIT: ['221 2.0.0 Bye\r\n'],
        },
        closeAfter: 'QUIT',
      });

      const result = await prober(server.port).probe(HOST);

      expect(result.summary).toBe(
        `${HOST} (127.0.0.1) refused STARTTLS with 454: "4.7.0 TLS not available due to local problem"`,
      );
      expect(server.commands).toEqual([`EHLO ${HELO}`, 'STARTTLS', 'QUIT']);
    });

    it('reports a server that offers only TLS 1.1', async () => {
      const server = await real({ ...good, minTlsVersion: 'TLSv1', maxTlsVersion: 'TLSv1.1' });

      const result = await prober(server.port).probe(HOST);

      expect(result.ok).toBe(false);
      expect(result.summary).toBe(`${HOST} (127.0.0.1) offers only TLS 1.0/1.1 (TLS 1.2 or later is required)`);
    });

    it('reports a refused connection', async () => {
      const port = await closedPort();

      const result = await prober(port).probe(HOST);

      expect(result.summary).toBe(`${HOST} (127.0.0.1) refused the connection on port ${port}`);
    });

    it('gives up on a server that never answers, after the timeout', async () => {
      const server = await scripted({});
      const started = performance.now();

      const result = await prober(server.port, undefined, 300).probe(HOST);

      expect(result.summary).toBe(`${HOST} (127.0.0.1) timed out after 0.3 s waiting for the greeting`);
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it('reports a greeting that refuses the connection', async () => {
      const server = await real({ refuseWith: { code: 554, message: 'No SMTP service here' } });

      const result = await prober(server.port).probe(HOST);

      expect(result.summary).toBe(`${HOST} (127.0.0.1) greeted with 554 instead of 220: "No SMTP service here"`);
    });

    it('reads replies split anywhere across TCP segments', async () => {
      const server = await scripted({
        greeting: ['220-mx1.exa', 'mple.com ESMTP\r', '\n220', ' ready\r\n'],
        answers: {
          EHLO: ['250-mx1.example.com\r\n25', '0-SIZE 10240000\r\n250-STAR', 'TTLS\r\n250 8BITMIME\r\n'],
          STARTTLS: ['454 4.3.0 ', 'Try again later\r\n'],
          QUIT: ['221 Bye\r\n'],
        },
      });

      const result = await prober(server.port).probe(HOST);

      expect(result.summary).toBe(`${HOST} (127.0.0.1) refused STARTTLS with 454: "4.3.0 Try again later"`);
    });

    it('stops at a reply line longer than 4 KiB', async () => {
      const server = await scripted({ greeting: ['220 ' + 'x'.repeat(5000)] });

      const result = await prober(server.port).probe(HOST);

      expect(result.summary).toBe(`${HOST} (127.0.0.1) sent a reply line longer than 4 KiB waiting for the greeting`);
    });

    it('reports a server that closes the connection instead of answering EHLO', async () => {
      const server = await scripted({
        greeting: ['220 mx1.example.com ESMTP\r\n'],
        answers: { EHLO: [] },
        closeAfter: 'EHLO',
      });

      const result = await prober(server.port).probe(HOST);

      expect(result.summary).toBe(`${HOST} (127.0.0.1) closed the connection instead of answering EHLO`);
    });

    it('reports something that is not SMTP', async () => {
      const server = await scripted({ greeting: ['HTTP/1.1 400 Bad Request\r\n\r\n'] });

      const result = await prober(server.port).probe(HOST);

      expect(result.summary).toBe(
        `${HOST} (127.0.0.1) sent a malformed reply waiting for the greeting: "HTTP/1.1 400 Bad Request"`,
      );
    });
  });

  describe('addresses', () => {
    it('reports a host without A or AAAA records', async () => {
      const dns = new FakeDnsResolver({ [HOST]: {} });

      const result = await prober(1, dns).probe(HOST);

      expect(result).toEqual({ host: HOST, ok: false, summary: `${HOST} has no A or AAAA records`, addresses: [] });
      expect(dns.lookups.sort()).toEqual([`A ${HOST}`, `AAAA ${HOST}`]);
    });

    it('reports a failed look-up without probing', async () => {
      const dns = new FakeDnsResolver({ [HOST]: Object.assign(new Error('queryA ESERVFAIL'), { code: 'ESERVFAIL' }) });

      const result = await prober(1, dns).probe(HOST);

      expect(result).toEqual({
        host: HOST,
        ok: false,
        summary: `The addresses of ${HOST} could not be looked up (ESERVFAIL)`,
        addresses: [],
      });
    });

    it('passes when one address passes and the other cannot be reached from here', async () => {
      const server = await real(good);
      // TCP to a multicast address fails at once with ENETUNREACH, with or without IPv6 routes.
      const dns = new FakeDnsResolver({ [HOST]: { 4: ['127.0.0.1'], 6: ['ff02::1'] } });

      const result = await prober(server.port, dns).probe(HOST);

      expect(result.ok).toBe(true);
      expect(result.summary).toMatch(
        new RegExp(
          `^${HOST} \\(127\\.0\\.0\\.1\\) offers STARTTLS with TLSv1\\.3 and a valid certificate until \\d{4}-\\d\\d-\\d\\d; ` +
            `ff02::1 cannot be reached from this server \\(network unreachable\\)$`,
        ),
      );
      expect(result.addresses).toEqual([
        expect.objectContaining({ address: '127.0.0.1', ok: true }),
        {
          address: 'ff02::1',
          ok: false,
          problem: `${HOST} (ff02::1) cannot be reached from this server (network unreachable), so it was not checked`,
        },
      ]);
    });

    it('fails when no address can be reached', async () => {
      const dns = new FakeDnsResolver({ [HOST]: { 6: ['ff02::1'] } });

      const result = await prober(25, dns).probe(HOST);

      expect(result.ok).toBe(false);
      expect(result.summary).toBe(
        `${HOST} cannot be reached from this server on any address (ff02::1: network unreachable)`,
      );
    });

    it('fails when one of two reached addresses fails', async () => {
      const server = await real(good);
      await scripted({
        host: '127.0.0.2',
        port: server.port,
        greeting: ['220 mx1.example.com ESMTP\r\n'],
        answers: { EHLO: ['250 mx1.example.com\r\n'], QUIT: ['221 Bye\r\n'] },
      });
      const dns = new FakeDnsResolver({ [HOST]: { 4: ['127.0.0.1', '127.0.0.2'] } });

      const result = await prober(server.port, dns).probe(HOST);

      expect(result.ok).toBe(false);
      expect(result.summary).toBe(`${HOST} (127.0.0.2) does not offer STARTTLS`);
      expect(result.addresses.map((address) => [address.address, address.ok])).toEqual([
        ['127.0.0.1', true],
        ['127.0.0.2', false],
      ]);
    });

    it('passes on both addresses and says so', async () => {
      const first = await real(good);
      await real({ ...good, host: '127.0.0.2', port: first.port });
      const dns = new FakeDnsResolver({ [HOST]: { 4: ['127.0.0.1', '127.0.0.2'] } });

      const result = await prober(first.port, dns).probe(HOST);

      expect(result.ok).toBe(true);
      expect(result.summary).toMatch(
        /^mx1\.example\.com offers STARTTLS with TLSv1\.3 and a valid certificate until \S+ on both addresses$/,
      );
    });

    it('probes at most four addresses, taking both families in turn', async () => {
      const dns = new FakeDnsResolver({
        [HOST]: { 4: ['224.0.0.1', '224.0.0.2', '224.0.0.3'], 6: ['ff02::1', 'ff02::2', 'ff02::3'] },
      });

      const result = await prober(25, dns).probe(HOST);

      expect(result.addresses.map((address) => address.address)).toEqual([
        '224.0.0.1',
        'ff02::1',
        '224.0.0.2',
        'ff02::2',
      ]);
    });
  });
});

function leafNotAfter(pair: IssuedPair): string {
  return new X509Certificate(pair.certificatePem).validTo;
}
