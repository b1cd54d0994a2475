import { assertTlsRptRua, DnsRecord, expectedRecords, zoneSnippet } from '../../src/mta-sts/domain/dns-records';
import { parseDomainName } from '../../src/mta-sts/domain/hostname';
import { recordStatuses } from '../../src/mta-sts/domain/record-status';

const ID = '57c0b2e9044f1929fd313349db8c6c5d';
const domain = parseDomainName('example.com');
const RECORDS = expectedRecords(domain, ID, { ipv4: '192.0.2.10', ipv6: '2001:db8::10' }, 'mailto:tls@{domain}');
const [STS, A, AAAA, TLSRPT] = RECORDS;

type Observed = Record<string, string[]>;
const dns = (observed: Observed) => ({ check: 'dns' as const, observed });
const sts = (txt: string[]) => ({ check: 'policy-record' as const, observed: { TXT: txt } });
const rpt = (txt: string[]) => ({ check: 'tls-rpt' as const, observed: { TXT: txt } });

/** [visibility, found] per record, in the records' order. */
function statuses(checks: Parameters<typeof recordStatuses>[1], records: readonly DnsRecord[] = RECORDS) {
  return recordStatuses(records, checks).map((status) => [status.visibility, status.found]);
}

describe('recordStatuses', () => {
  it('expects the records the card lists, in order', () => {
    expect(RECORDS.map((record) => `${record.name} ${record.type} ${record.value}`)).toEqual([
      `_mta-sts.example.com TXT v=STSv1; id=${ID}`,
      'mta-sts.example.com A 192.0.2.10',
      'mta-sts.example.com AAAA 2001:db8::10',
      '_smtp._tls.example.com TXT v=TLSRPTv1; rua=mailto:tls@example.com',
    ]);
  });

  it('says "unknown" for every record before any check ran', () => {
    expect(statuses([])).toEqual([
      ['unknown', undefined],
      ['unknown', undefined],
      ['unknown', undefined],
      ['unknown', undefined],
    ]);
  });

  it('keeps the record itself (name, type, value, purpose) next to its visibility', () => {
    const [status] = recordStatuses([STS], [sts([STS.value])]);
    expect(status).toEqual({ ...STS, visibility: 'live' });
  });

  it('reads every record as live when DNS answers exactly what is expected', () => {
    const checks = [dns({ A: [A.value], AAAA: [AAAA.value] }), sts([STS.value]), rpt([TLSRPT.value])];
    expect(statuses(checks).map(([visibility]) => visibility)).toEqual(['live', 'live', 'live', 'live']);
  });

  describe('address records', () => {
    it('is not published when DNS has no address of that family', () => {
      expect(statuses([dns({ A: [], AAAA: [] })], [A, AAAA])).toEqual([
        ['not-published', undefined],
        ['not-published', undefined],
      ]);
    });

    it('is a mismatch naming every address found when another or an extra address is there', () => {
      expect(statuses([dns({ A: ['198.51.100.7'], AAAA: [AAAA.value, '2001:db8::99'] })], [A, AAAA])).toEqual([
        ['mismatch', '198.51.100.7'],
        ['mismatch', '2001:db8::10, 2001:db8::99'],
      ]);
    });

    it('says the look-up failed for a family with no answer stored, not that it was never checked', () => {
      expect(statuses([dns({ AAAA: [AAAA.value] })], [A, AAAA])).toEqual([
        ['lookup-failed', undefined],
        ['live', undefined],
      ]);
    });

    it('ignores TXT answers of other checks', () => {
      expect(statuses([sts(['192.0.2.10']), rpt(['192.0.2.10'])], [A])).toEqual([['unknown', undefined]]);
    });
  });

  describe('TXT records', () => {
    it('is not published when no record of that kind is there, whatever else is', () => {
      const checks = [sts(['google-site-verification=abc', 'v=STSv10; id=x']), rpt(['v=spf1 -all'])];
      expect(statuses(checks, [STS, TLSRPT])).toEqual([
        ['not-published', undefined],
        ['not-published', undefined],
      ]);
    });

    it('compares fields, not spacing around the separators', () => {
      const checks = [sts([`v=STSv1;id=${ID}`]), rpt(['v=TLSRPTv1 ;  rua=mailto:tls@example.com ;'])];
      expect(statuses(checks, [STS, TLSRPT])).toEqual([
        ['live', undefined],
        ['live', undefined],
      ]);
    });

    it('is a mismatch with the quoted record found when the value differs', () => {
      const checks = [sts(['v=STSv1; id=old1']), rpt(['v=TLSRPTv1; rua=mailto:other@example.net'])];
      expect(statuses(checks, [STS, TLSRPT])).toEqual([
        ['mismatch', '"v=STSv1; id=old1"'],
        ['mismatch', '"v=TLSRPTv1; rua=mailto:other@example.net"'],
      ]);
    });

    it('is a mismatch listing all of them when there are two records of the kind, even if one is right', () => {
      expect(statuses([sts([STS.value, 'v=STSv1; id=old1', 'unrelated'])], [STS])).toEqual([
        ['mismatch', `"${STS.value}", "v=STSv1; id=old1"`],
      ]);
    });

    it('reads _mta-sts from the policy-record check and _smtp._tls from the tls-rpt check only', () => {
      expect(statuses([sts([TLSRPT.value]), rpt([STS.value])], [STS, TLSRPT])).toEqual([
        ['not-published', undefined],
        ['not-published', undefined],
      ]);
    });

    it('says the look-up failed when the check ran but stored no answer', () => {
      expect(statuses([{ check: 'policy-record' }, { check: 'tls-rpt', observed: {} }], [STS, TLSRPT])).toEqual([
        ['lookup-failed', undefined],
        ['lookup-failed', undefined],
      ]);
    });

    it('is unknown when the check never ran', () => {
      expect(statuses([], [STS, TLSRPT])).toEqual([
        ['unknown', undefined],
        ['unknown', undefined],
      ]);
    });
  });
});

describe('zoneSnippet', () => {
  const txt = (value: string, name = 'x.example.com'): DnsRecord => ({ name, type: 'TXT', value, purpose: '' });
  /** The quoted strings of a single TXT line, unescaped. */
  function strings(line: string): string[] {
    const data = line.split('\t')[4];
    return [...data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1].replace(/\\(.)/g, '$1'));
  }

  it('writes one line per record with fully qualified names, TTL, class and type', () => {
    expect(zoneSnippet(RECORDS).split('\n')).toEqual([
      `_mta-sts.example.com.\t3600\tIN\tTXT\t"v=STSv1; id=${ID}"`,
      'mta-sts.example.com.\t3600\tIN\tA\t192.0.2.10',
      'mta-sts.example.com.\t3600\tIN\tAAAA\t2001:db8::10',
      '_smtp._tls.example.com.\t3600\tIN\tTXT\t"v=TLSRPTv1; rua=mailto:tls@example.com"',
    ]);
  });

  it('ends every name with exactly one dot', () => {
    for (const line of zoneSnippet(RECORDS).split('\n')) expect(line.split('\t')[0]).toMatch(/^[^.].*[^.]\.$/);
  });

  it('takes another TTL', () => {
    expect(zoneSnippet([A], 300)).toBe('mta-sts.example.com.\t300\tIN\tA\t192.0.2.10');
  });

  it('is empty for no records', () => {
    expect(zoneSnippet([])).toBe('');
  });

  it('escapes quotes and backslashes inside TXT strings', () => {
    const line = zoneSnippet([txt('say "hi" \\ bye')]);
    expect(line).toBe('x.example.com.\t3600\tIN\tTXT\t"say \\"hi\\" \\\\ bye"');
    expect(strings(line)).toEqual(['say "hi" \\ bye']);
  });

  it('splits a long TXT value into strings of 255 characters, joined again by resolvers', () => {
    const value = `v=TLSRPTv1; rua=${Array.from({ length: 30 }, (_, i) => `https://reports${i}.example.net/tlsrpt`).join(',')}`;
    expect(value.length).toBe(1115);
    const parts = strings(zoneSnippet([txt(value)]));
    expect(parts.map((part) => part.length)).toEqual([255, 255, 255, 255, 95]);
    expect(parts.join('')).toBe(value);
  });

  it('keeps a 255-character value in one string and splits a 256-character one', () => {
    expect(strings(zoneSnippet([txt('a'.repeat(255))]))).toEqual(['a'.repeat(255)]);
    expect(strings(zoneSnippet([txt('a'.repeat(256))]))).toEqual(['a'.repeat(255), 'a']);
  });

  it('counts escapes as the single characters they stand for', () => {
    const value = `${'"'.repeat(200)}${'\\'.repeat(55)}`;
    const line = zoneSnippet([txt(value)]);
    expect(strings(line)).toEqual([value]);
    expect(line.split('\t')[4]).toBe(`"${'\\"'.repeat(200)}${'\\\\'.repeat(55)}"`);
  });

  it('splits by bytes, so no string of a value with non-ASCII characters exceeds 255 octets (RFC 1035 §3.3.14)', () => {
    // A rua option with non-ASCII characters passes the option check.
    const rua = `https://rapports.example/tls/${'é'.repeat(150)}`;
    expect(assertTlsRptRua('tlsRptRua', rua)).toBe(rua);
    const value = `v=TLSRPTv1; rua=${rua}`;
    const parts = strings(zoneSnippet([txt(value)]));
    expect(parts.join('')).toBe(value);
    for (const part of parts) expect(Buffer.byteLength(part, 'utf8')).toBeLessThanOrEqual(255);
  });
});
