import { describe, expect, it } from 'vitest';
import { dailyFetches, parseFetchLine, readFetchChunk, senderName } from '../../src/mta-sts/domain/policy-fetches';

describe('Reading the fetch log', () => {
  it('reads a line nginx writes: time, policy host, client address, status', () => {
    expect(parseFetchLine('1795700000.123 mta-sts.example.com 192.0.2.7 200')).toEqual({
      at: new Date('2026-11-26T13:33:20Z'),
      domain: 'example.com',
      address: '192.0.2.7',
      status: 200,
    });
    expect(parseFetchLine('1795700000.000 mta-sts.Example.COM 2001:db8::1 421')).toMatchObject({
      domain: 'example.com',
      address: '2001:db8::1',
      status: 421,
    });
  });

  it("counts a sender's fetch and passes over the panel's own readiness check", () => {
    expect(parseFetchLine('1795700000.123 mta-sts.example.com 192.0.2.7 200 sender')).toMatchObject({ status: 200 });
    expect(parseFetchLine('1795700000.123 mta-sts.example.com 192.0.2.7 200 panel')).toBeUndefined();
    expect(parseFetchLine('1795700000.123 mta-sts.example.com 192.0.2.7 200 someone')).toBeUndefined();
  });

  it('passes over what is not a fetch line: another format, another host, a torn line, an injected one', () => {
    for (const line of [
      '',
      '192.0.2.7 - - [26/Nov/2026:12:00:00 +0000] "GET / HTTP/1.1" 200',
      '1795700000.123 www.example.com 192.0.2.7 200',
      '1795700000.123 mta-sts.example.com 192.0.2.7',
      '1795700000.123 mta-sts.example.com 192.0.2.7 200 extra',
      '1795700000.123 mta-sts.exa mple.com 192.0.2.7 200',
      `1795700000.123 mta-sts.${'a'.repeat(300)}.com 192.0.2.7 200`,
      '17641600 mta-sts.example.com 192.0.2.7 200',
    ]) {
      expect(parseFetchLine(line), line).toBeUndefined();
    }
  });

  it('takes only complete lines from a chunk and says how many bytes they span', () => {
    const chunk = Buffer.from(
      '1795700000.1 mta-sts.a.test 192.0.2.1 200\nnot a line\n1795700001.1 mta-sts.a.test 192.0.2.2 200\n1795700002.1 mta-sts.a.t',
    );
    const read = readFetchChunk(chunk);
    expect(read.fetches.map((fetch) => fetch.address)).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(read.skipped).toBe(1);
    expect(chunk.subarray(0, read.consumed).toString().endsWith('192.0.2.2 200\n')).toBe(true);
    expect(readFetchChunk(Buffer.from('no newline yet'))).toEqual({ fetches: [], consumed: 0, skipped: 0 });
  });

  it('adds up fetches per domain, UTC day and address, counting answers other than 200 as failures', () => {
    const lines = [
      '1795651200.0 mta-sts.a.test 192.0.2.1 200', // 2026-11-26 00:00:00Z
      '1795651199.0 mta-sts.a.test 192.0.2.1 200', // 2026-11-25 23:59:59Z
      '1795651300.0 mta-sts.a.test 192.0.2.1 404',
      '1795651300.0 mta-sts.a.test 192.0.2.2 200',
      '1795651300.0 mta-sts.other.test 192.0.2.2 200',
    ];
    const fetches = lines.map((line) => parseFetchLine(line)!);
    expect(dailyFetches(fetches, (domain) => domain === 'a.test')).toEqual([
      { domain: 'a.test', day: '2026-11-26', address: '192.0.2.1', fetches: 2, failures: 1 },
      { domain: 'a.test', day: '2026-11-25', address: '192.0.2.1', fetches: 1, failures: 0 },
      { domain: 'a.test', day: '2026-11-26', address: '192.0.2.2', fetches: 1, failures: 0 },
    ]);
  });
});

describe('Naming fetchers', () => {
  it('names the big senders from their confirmed reverse DNS and keeps any other name as it is', () => {
    expect(senderName('mail-ed1-f41.google.com')).toBe('Google');
    expect(senderName('mail-sor-f41.google.com.')).toBe('Google');
    expect(senderName('mail-db8eur05on2100.outbound.protection.outlook.com')).toBe('Microsoft');
    expect(senderName('sonic302-21.consmr.mail.ne1.yahoo.com')).toBe('Yahoo');
    expect(senderName('out1-smtp.messagingengine.com')).toBe('Fastmail');
    expect(senderName('mx.example.net')).toBe('mx.example.net');
    // A look-alike is not the sender.
    expect(senderName('mail.notgoogle.com')).toBe('mail.notgoogle.com');
    expect(senderName('google.com.evil.example')).toBe('google.com.evil.example');
  });
});
