import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect as tcpConnect, Socket } from 'node:net';
import { join } from 'node:path';
import { connect, TLSSocket } from 'node:tls';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';
import { freePort } from '../support/processes';

interface RawAnswer {
  readonly status: number | 'refused' | 'closed';
  readonly body: string;
  readonly certificateNames: string;
}

/**
 * Hostile requests to the policy hosts nginx serves, in both layouts, over IPv4 and IPv6: none of them gets another domain's policy or certificate, any file other than a
 * policy, or a change on disk; slow clients hold no one else up.
 */
describe.each(['shared', 'per-domain'])('Hostile requests to the policy host (%s layout, IPv4 and IPv6)', (layout) => {
  const first = 'first.test';
  const second = 'second.test';
  let lab: Lab;
  let panel: Panel;
  let ipv6Port: number;
  const policies: Record<string, string> = {};

  /** A fingerprint of everything nginx serves from and is configured by. */
  function disk(): string {
    const hash = createHash('sha256');
    const walk = (dir: string) => {
      for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        const stat = statSync(path);
        if (stat.isDirectory()) walk(path);
        else if (!name.startsWith('mta-sts.sqlite')) hash.update(`${path}\n`).update(readFileSync(path));
      }
    };
    walk(lab.dataDir);
    walk(lab.nginx.sitesDir);
    return hash.digest('hex');
  }

  /** Sends `raw` over TLS with `sni` (or none) and reads the answer. */
  function tls(
    raw: string,
    sni: string | undefined,
    target = { host: lab.address, port: lab.ports.https },
  ): Promise<RawAnswer> {
    return new Promise((resolve) => {
      const socket: TLSSocket = connect({
        host: target.host,
        port: target.port,
        ...(sni ? { servername: sni } : {}),
        ca: readFileSync(lab.pebble.rootFile, 'utf8'),
        rejectUnauthorized: false,
      });
      let data = '';
      let names = '';
      socket.setTimeout(5_000, () => socket.destroy());
      socket.once('secureConnect', () => {
        names = String(socket.getPeerCertificate().subjectaltname ?? '');
        socket.write(raw);
      });
      socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      socket.on('error', () => resolve({ status: 'refused', body: '', certificateNames: names }));
      socket.on('close', () => {
        if (!data) return resolve({ status: names ? 'closed' : 'refused', body: '', certificateNames: names });
        const [head, ...rest] = data.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n'), certificateNames: names });
      });
    });
  }

  /** Sends `raw` over plain HTTP to port 80. */
  function http(raw: string): Promise<RawAnswer> {
    return new Promise((resolve) => {
      const socket: Socket = tcpConnect({ host: lab.address, port: lab.ports.http });
      let data = '';
      socket.setTimeout(5_000, () => socket.destroy());
      socket.once('connect', () => socket.write(raw));
      socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      socket.on('error', () => resolve({ status: 'refused', body: '', certificateNames: '' }));
      socket.on('close', () => {
        const [head, ...rest] = data.split('\r\n\r\n');
        resolve({
          status: data ? Number(head.split(' ')[1]) : 'closed',
          body: rest.join('\r\n\r\n'),
          certificateNames: '',
        });
      });
    });
  }

  const get = (host: string, path = '/.well-known/mta-sts.txt', extra = '') =>
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    ipv6Port = await freePort();
    panel = await Panel.start(
      lab.env({
        MTA_STS_NGINX_LAYOUT: layout,
        MTA_STS_HTTPS_LISTEN: `${lab.address}:${lab.ports.https},[::1]:${ipv6Port}`,
        MTA_STS_SMTP_PROBE: 'false',
      }),
    );
    for (const domain of [first, second]) {
      await lab.publishDomain(domain);
      const added = await panel.api<DomainView>('POST', '/api/domains', { domain });
      expect(added.status).toBe(201);
      await panel.api('POST', `/api/domains/${domain}/enable`);
      const enabled = await panel.settle(domain);
      if (enabled.state !== 'active') throw new Error(`enabling ${domain} failed: ${JSON.stringify(enabled.error)}`);
      policies[domain] = enabled.policy!.text;
    }
  }, 120_000);

  afterAll(async () => {
    await panel?.close();
    await lab?.stop();
  });

  it('serves each policy with its own certificate, over IPv4 and IPv6', async () => {
    for (const domain of [first, second]) {
      const v4 = await tls(get(`mta-sts.${domain}`), `mta-sts.${domain}`);
      expect(v4).toEqual({ status: 200, body: policies[domain], certificateNames: `DNS:mta-sts.${domain}` });
      const v6 = await tls(get(`mta-sts.${domain}`), `mta-sts.${domain}`, { host: '::1', port: ipv6Port });
      expect(v6).toEqual({ status: 200, body: policies[domain], certificateNames: `DNS:mta-sts.${domain}` });
    }
  });

  const cases: Array<[string, () => Promise<RawAnswer>, (answer: RawAnswer) => void]> = [
    [
      'an unknown SNI name',
      () => tls(get('mta-sts.unknown.test'), 'mta-sts.unknown.test'),
      (a) => expect(a.status).toBe('refused'),
    ],
    ['no SNI at all', () => tls(get(`mta-sts.${first}`), undefined), (a) => expect(a.status).toBe('refused')],
    [
      'an SNI with a path in it',
      () => tls(get(`mta-sts.${first}`), 'mta-sts.a/../first.test'),
      (a) => expect(a.status).toBe('refused'),
    ],
    ['an SNI of the bare domain', () => tls(get(first), first), (a) => expect(a.status).toBe('refused')],
    ['an SNI of an IP address', () => tls(get(lab.address), lab.address), (a) => expect(a.status).toBe('refused')],
    [
      'an SNI of 250 characters',
      () => tls(get('x'), `mta-sts.${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(50)}.test`),
      (a) => expect(a.status).toBe('refused'),
    ],
    [
      'an unknown Host over a valid SNI',
      () => tls(get('mta-sts.unknown.test'), `mta-sts.${first}`),
      (a) => {
        expect([400, 404, 421]).toContain(a.status);
        expect(a.body).not.toContain('version: STSv1');
      },
    ],
    [
      'another served domain in Host than in SNI',
      () => tls(get(`mta-sts.${second}`), `mta-sts.${first}`),
      (a) => expect(a.status).toBe(421),
    ],
    [
      'no Host header',
      () => tls('GET /.well-known/mta-sts.txt HTTP/1.0\r\n\r\n', `mta-sts.${first}`),
      (a) => expect(a.body).not.toContain('version: STSv1'),
    ],
    [
      'a Host with a path',
      () => tls(get('mta-sts.first.test/../second.test'), `mta-sts.${first}`),
      (a) => expect([400, 404]).toContain(a.status),
    ],
    [
      'a traversal after the policy path',
      () => tls(get(`mta-sts.${first}`, '/.well-known/mta-sts.txt/../../../../etc/passwd'), `mta-sts.${first}`),
      (a) => expect(a.body).not.toContain('root:'),
    ],
    [
      'an encoded traversal',
      () => tls(get(`mta-sts.${first}`, '/.well-known/%2e%2e/%2e%2e/policies/first.test.txt'), `mta-sts.${first}`),
      (a) => expect([400, 404]).toContain(a.status),
    ],
    [
      'the policy file by its path on disk',
      () => tls(get(`mta-sts.${first}`, `/policies/${first}.txt`), `mta-sts.${first}`),
      (a) => expect(a.status).toBe(404),
    ],
    [
      'a NUL in the path',
      () => tls(get(`mta-sts.${first}`, '/.well-known/mta-sts.txt%00.pem'), `mta-sts.${first}`),
      (a) => expect([400, 404]).toContain(a.status),
    ],
    ['the site root', () => tls(get(`mta-sts.${first}`, '/'), `mta-sts.${first}`), (a) => expect(a.status).toBe(404)],
    [
      'the ACME webroot over HTTPS',
      () => tls(get(`mta-sts.${first}`, '/.well-known/acme-challenge/x'), `mta-sts.${first}`),
      (a) => expect(a.status).toBe(404),
    ],
    [
      'a POST to the policy',
      () =>
        tls(
          `POST /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.${first}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`,
          `mta-sts.${first}`,
        ),
      (a) => expect([404, 405]).toContain(a.status),
    ],
    [
      'a PUT to the policy',
      () =>
        tls(
          `PUT /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.${first}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`,
          `mta-sts.${first}`,
        ),
      (a) => expect([404, 405]).toContain(a.status),
    ],
    [
      'a DELETE of the policy',
      () =>
        tls(
          `DELETE /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.${first}\r\nConnection: close\r\n\r\n`,
          `mta-sts.${first}`,
        ),
      (a) => expect([404, 405]).toContain(a.status),
    ],
    [
      'TRACE',
      () => tls(`TRACE / HTTP/1.1\r\nHost: mta-sts.${first}\r\nConnection: close\r\n\r\n`, `mta-sts.${first}`),
      (a) => expect([404, 405]).toContain(a.status),
    ],
    [
      'a 20 KB header',
      () =>
        tls(
          get(`mta-sts.${first}`, '/.well-known/mta-sts.txt', `X-Big: ${'a'.repeat(20_000)}\r\n`),
          `mta-sts.${first}`,
        ),
      (a) => expect([400, 494]).toContain(a.status),
    ],
    [
      'a 10 KB URI',
      () => tls(get(`mta-sts.${first}`, `/${'a'.repeat(10_000)}`), `mta-sts.${first}`),
      (a) => expect([414, 400]).toContain(a.status),
    ],
    [
      'Content-Length and Transfer-Encoding together (smuggling)',
      () =>
        tls(
          `POST / HTTP/1.1\r\nHost: mta-sts.${first}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
          `mta-sts.${first}`,
        ),
      (a) => expect([400, 404, 405]).toContain(a.status),
    ],
    [
      'a request that is not HTTP',
      () => tls('\u0000\u0001\u0002garbage\r\n\r\n', `mta-sts.${first}`),
      (a) => expect([400, 'closed']).toContain(a.status),
    ],
    [
      'port 80: a traversal out of the ACME webroot',
      () =>
        http(
          `GET /.well-known/acme-challenge/../../policies/${first}.txt HTTP/1.1\r\nHost: mta-sts.${first}\r\nConnection: close\r\n\r\n`,
        ),
      (a) => expect(a.body).not.toContain('version: STSv1'),
    ],
    [
      'port 80: an encoded traversal',
      () =>
        http(
          `GET /.well-known/acme-challenge/%2e%2e%2f%2e%2e%2fpolicies%2ffirst.test.txt HTTP/1.1\r\nHost: mta-sts.${first}\r\nConnection: close\r\n\r\n`,
        ),
      (a) => expect(a.body).not.toContain('version: STSv1'),
    ],
    [
      'port 80: the policy over plain HTTP',
      () => http(get(`mta-sts.${first}`)),
      (a) => expect(a.body).not.toContain('version: STSv1'),
    ],
    [
      'port 80: an unknown Host',
      () => http(get('mta-sts.unknown.test', '/.well-known/acme-challenge/x')),
      (a) => expect(a.status).toBe(404),
    ],
  ];

  it.each(cases)('%s: refused, nothing else served, nothing written', async (_what, send, check) => {
    const before = disk();
    const answer = await send();
    check(answer);
    for (const domain of [first, second]) {
      // Never another domain's policy under this certificate.
      if (answer.certificateNames === `DNS:mta-sts.${domain}`) {
        const other = domain === first ? second : first;
        expect(answer.body).not.toBe(policies[other]);
      }
    }
    expect(disk()).toBe(before);
    expect((await tls(get(`mta-sts.${first}`), `mta-sts.${first}`)).status).toBe(200);
  });

  it('keeps serving everyone while 100 slow clients hold connections half-open', async () => {
    const slow: TLSSocket[] = [];
    try {
      for (let index = 0; index < 100; index++) {
        const socket = connect({
          host: lab.address,
          port: lab.ports.https,
          servername: `mta-sts.${first}`,
          rejectUnauthorized: false,
        });
        socket.on('error', () => undefined);
        socket.once('secureConnect', () =>
          socket.write(`GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.${first}\r\nX-Slow: `),
        );
        slow.push(socket);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = Date.now();
      for (const domain of [first, second]) {
        expect((await tls(get(`mta-sts.${domain}`), `mta-sts.${domain}`)).body).toBe(policies[domain]);
      }
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const socket of slow) socket.destroy();
    }
  });
});
