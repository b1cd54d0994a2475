import { createServer, Server } from 'node:net';
import { DnsUpdateError } from '../../src/mta-sts/domain/errors';
import { UpdateServer as Target, queryRRset, sendUpdate } from '../../src/mta-sts/adapters/dns-update/dns-exchange';
import { UpdateServer } from '../support/authoritative-dns';
import { freePort } from '../support/processes';

const ZONE = 'example.test';
const POLICY = `_mta-sts.${ZONE}`;

/** The RFC 2136 client with TSIG against real Knot DNS and BIND: the servers decide whether it is right. */
describe.each(['knot', 'bind'] as const)('RFC 2136 updates signed with TSIG, against %s', (kind) => {
  let server: UpdateServer;
  let target: Target;
  const now = () => new Date();

  beforeAll(async () => {
    server = await UpdateServer.start(kind, ZONE, { records: [`_mta-sts IN TXT "google-site-verification=abc"`] });
    target = {
      host: server.address,
      port: server.port,
      key: { name: server.keyName, algorithm: 'hmac-sha256', secret: Buffer.from(server.secret, 'base64') },
      timeoutMs: 3_000,
    };
  });
  afterAll(() => server?.stop());

  it('adds a value next to what the name already holds, replaces only its own value, then deletes it', async () => {
    const before = await queryRRset(target, POLICY, 'TXT');
    expect(before.values).toEqual(['google-site-verification=abc']);
    await sendUpdate(
      target,
      ZONE,
      { exactly: [before], add: [{ name: POLICY, type: 'TXT', ttl: 300, values: ['v=STSv1; id=one'] }] },
      now(),
    );
    expect(await server.values(POLICY, 'TXT')).toEqual(['google-site-verification=abc', 'v=STSv1; id=one']);
    const read = await queryRRset(target, POLICY, 'TXT');
    await sendUpdate(
      target,
      ZONE,
      {
        exactly: [read],
        remove: [{ name: POLICY, type: 'TXT', values: ['v=STSv1; id=one'] }],
        add: [{ name: POLICY, type: 'TXT', ttl: 300, values: ['v=STSv1; id=two'] }],
      },
      now(),
    );
    expect(await server.values(POLICY, 'TXT')).toEqual(['google-site-verification=abc', 'v=STSv1; id=two']);
    await sendUpdate(target, ZONE, { remove: [{ name: POLICY, type: 'TXT', values: ['v=STSv1; id=two'] }] }, now());
    expect(await server.values(POLICY, 'TXT')).toEqual(['google-site-verification=abc']);
  });

  it('writes addresses, a CNAME and a TXT value longer than one string, guarded by their absence', async () => {
    const long = `v=TLSRPTv1; rua=mailto:${'r'.repeat(300)}@example.test`;
    await sendUpdate(
      target,
      ZONE,
      {
        absent: [
          { name: `mta-sts.${ZONE}`, type: 'A' },
          { name: `mta-sts.${ZONE}`, type: 'AAAA' },
          { name: `_smtp._tls.${ZONE}`, type: 'TXT' },
          { name: `alias.${ZONE}`, type: 'CNAME' },
        ],
        add: [
          { name: `mta-sts.${ZONE}`, type: 'A', ttl: 300, values: ['192.0.2.10'] },
          { name: `mta-sts.${ZONE}`, type: 'AAAA', ttl: 300, values: ['2001:db8::10'] },
          { name: `_smtp._tls.${ZONE}`, type: 'TXT', ttl: 300, values: [long] },
          { name: `alias.${ZONE}`, type: 'CNAME', ttl: 300, values: [`mta-sts.${ZONE}`] },
        ],
      },
      now(),
    );
    expect(await server.values(`mta-sts.${ZONE}`, 'A')).toEqual(['192.0.2.10']);
    expect(await server.values(`mta-sts.${ZONE}`, 'AAAA')).toEqual(['2001:db8::10']);
    expect(await server.values(`_smtp._tls.${ZONE}`, 'TXT')).toEqual([long]);
    expect((await queryRRset(target, `_smtp._tls.${ZONE}`, 'TXT')).values).toEqual([long]);
    expect((await queryRRset(target, `alias.${ZONE}`, 'TXT')).cname).toBe(`mta-sts.${ZONE}`);
  });

  it('writes nothing when the records changed since they were read', async () => {
    const stale = { name: POLICY, type: 'TXT' as const, values: ['google-site-verification=old'] };
    const refused = await sendUpdate(
      target,
      ZONE,
      { exactly: [stale], add: [{ name: POLICY, type: 'TXT', ttl: 300, values: ['v=STSv1; id=three'] }] },
      now(),
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DnsUpdateError);
    expect((refused as DnsUpdateError).code).toBe('NXRRSET');
    expect((refused as DnsUpdateError).message).toContain('someone changed the zone meanwhile');
    expect(await server.values(POLICY, 'TXT')).toEqual(['google-site-verification=abc']);
  });

  it('names a wrong secret, an unknown key and a zone the server does not serve, changing nothing', async () => {
    const add = { add: [{ name: POLICY, type: 'TXT' as const, ttl: 300, values: ['v=STSv1; id=bad'] }] };
    const attempt = (changed: Partial<Target>, zone = ZONE) =>
      sendUpdate({ ...target, ...changed }, zone, add, now()).then(
        () => 'applied',
        (error: DnsUpdateError) => error.code,
      );
    expect(await attempt({ key: { ...target.key, secret: Buffer.alloc(32, 1) } })).toBe('BADSIG');
    expect(await attempt({ key: { ...target.key, name: 'someone-else' } })).toBe('BADKEY');
    expect(await attempt({}, 'other.test')).toMatch(/^(NOTAUTH|REFUSED)$/);
    expect(await server.values(POLICY, 'TXT')).toEqual(['google-site-verification=abc']);
  });

  it('says when the server is down or does not answer in time', async () => {
    const closed = await freePort();
    await expect(sendUpdate({ ...target, port: closed }, ZONE, {}, now())).rejects.toMatchObject({
      code: 'UNREACHABLE',
    });
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    await expect(sendUpdate({ ...target, port, timeoutMs: 300 }, ZONE, {}, now())).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('did not answer within 0.3 s'),
    });
    silent.close();
  });
});
