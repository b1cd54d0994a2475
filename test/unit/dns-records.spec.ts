import {
  addressRecords,
  assertServerAddresses,
  assertTlsRptRua,
  expectedRecords,
  policyIndicatorRecord,
  policyIndicatorValue,
  tlsRptRecord,
  tlsRptRua,
  tlsRptValue,
} from '../../src/mta-sts/domain/dns-records';
import { InvalidOptionError } from '../../src/mta-sts/domain/errors';
import { parseDomainName } from '../../src/mta-sts/domain/hostname';

const domain = parseDomainName('example.com');
const ID = '57c0b2e9044f1929fd313349db8c6c5d';
const RUA = 'mailto:tls-reports@{domain}';

function thrown(action: () => unknown): InvalidOptionError {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw new Error(`expected InvalidOptionError, got ${String(error)}`);
  }
  throw new Error('expected an error');
}

/** `name type "value"` as an admin would read it in a zone file. */
function asZoneLine(record: { name: string; type: string; value: string }): string {
  return record.type === 'TXT'
    ? `${record.name} ${record.type} "${record.value}"`
    : `${record.name} ${record.type} ${record.value}`;
}

describe('record values', () => {
  it('writes the policy indicator as v=STSv1 first, then "; id="', () => {
    expect(policyIndicatorValue(ID)).toBe(`v=STSv1; id=${ID}`);
  });

  it('names and fills the _mta-sts TXT record', () => {
    expect(asZoneLine(policyIndicatorRecord(domain, ID))).toBe(`_mta-sts.example.com TXT "v=STSv1; id=${ID}"`);
  });

  it('replaces every {domain} in the rua template with the A-label domain', () => {
    const idn = parseDomainName('bücher.example');
    expect(tlsRptRua('mailto:tls@{domain},https://r.example/{domain}/x', idn)).toBe(
      'mailto:tls@xn--bcher-kva.example,https://r.example/xn--bcher-kva.example/x',
    );
  });

  it('writes the TLS-RPT value as v=TLSRPTv1 then "; rua="', () => {
    expect(tlsRptValue('mailto:a@b.example')).toBe('v=TLSRPTv1; rua=mailto:a@b.example');
  });

  it('names and fills the _smtp._tls TXT record with {domain} substituted', () => {
    expect(asZoneLine(tlsRptRecord(domain, RUA))).toBe(
      '_smtp._tls.example.com TXT "v=TLSRPTv1; rua=mailto:tls-reports@example.com"',
    );
  });

  it('leaves a rua without {domain} unchanged', () => {
    expect(tlsRptRecord(domain, 'mailto:reports@ops.example').value).toBe('v=TLSRPTv1; rua=mailto:reports@ops.example');
  });
});

describe('addressRecords', () => {
  it('publishes only an A record when only IPv4 is configured', () => {
    expect(addressRecords(domain, { ipv4: '192.0.2.10' }).map(asZoneLine)).toEqual([
      'mta-sts.example.com A 192.0.2.10',
    ]);
  });

  it('publishes an AAAA record only when IPv6 is configured', () => {
    expect(addressRecords(domain, { ipv6: '2001:db8::10' }).map(asZoneLine)).toEqual([
      'mta-sts.example.com AAAA 2001:db8::10',
    ]);
    expect(addressRecords(domain, { ipv4: '192.0.2.10', ipv6: '2001:db8::10' }).map(asZoneLine)).toEqual([
      'mta-sts.example.com A 192.0.2.10',
      'mta-sts.example.com AAAA 2001:db8::10',
    ]);
  });
});

describe('expectedRecords', () => {
  it('lists the _mta-sts TXT, the A record and the TLS-RPT TXT in that order', () => {
    expect(expectedRecords(domain, ID, { ipv4: '192.0.2.10' }, RUA).map(asZoneLine)).toEqual([
      `_mta-sts.example.com TXT "v=STSv1; id=${ID}"`,
      'mta-sts.example.com A 192.0.2.10',
      '_smtp._tls.example.com TXT "v=TLSRPTv1; rua=mailto:tls-reports@example.com"',
    ]);
  });

  it('puts the AAAA record right after the A record when IPv6 is configured', () => {
    expect(
      expectedRecords(domain, ID, { ipv4: '192.0.2.10', ipv6: '2001:db8::10' }, RUA).map((r) => `${r.name} ${r.type}`),
    ).toEqual([
      '_mta-sts.example.com TXT',
      'mta-sts.example.com A',
      'mta-sts.example.com AAAA',
      '_smtp._tls.example.com TXT',
    ]);
  });

  it('leaves out the _mta-sts record while there is no policy id', () => {
    const records = expectedRecords(domain, undefined, { ipv4: '192.0.2.10' }, RUA);
    expect(records.map((r) => r.name)).toEqual(['mta-sts.example.com', '_smtp._tls.example.com']);
    expect(records.some((r) => r.name.startsWith('_mta-sts.'))).toBe(false);
  });

  it('explains the purpose of every record', () => {
    for (const record of expectedRecords(domain, ID, { ipv4: '192.0.2.10', ipv6: '2001:db8::10' }, RUA)) {
      expect(record.purpose.length).toBeGreaterThan(10);
    }
  });

  it('uses A-label names for an internationalized domain', () => {
    const idn = parseDomainName('bücher.example');
    expect(expectedRecords(idn, ID, { ipv4: '192.0.2.10' }, RUA).map(asZoneLine)).toEqual([
      `_mta-sts.xn--bcher-kva.example TXT "v=STSv1; id=${ID}"`,
      'mta-sts.xn--bcher-kva.example A 192.0.2.10',
      '_smtp._tls.xn--bcher-kva.example TXT "v=TLSRPTv1; rua=mailto:tls-reports@xn--bcher-kva.example"',
    ]);
  });
});

describe('assertTlsRptRua', () => {
  it.each([
    'mailto:a@b.example',
    'https://r.example/x',
    'mailto:a@b.example,https://r.example/x',
    'mailto:tls-reports@{domain}',
    'mailto:a@b.example,mailto:c@d.example',
  ])('accepts %s', (rua) => {
    expect(assertTlsRptRua('tlsRptRua', rua)).toBe(rua);
  });

  it.each<[string, string]>([
    ['an address without a scheme', 'tls@example.com'],
    ['a semicolon that would end the TXT field', 'mailto:a@b.com; x'],
    ['plain http', 'http://insecure'],
    ['the empty string', ''],
    ['a trailing comma', 'mailto:a@b.example,'],
    ['a space inside a URI', 'https://r.example/a b'],
    ['a double quote', 'mailto:"a"@b.example'],
    ['a mailto without a domain', 'mailto:a'],
    ['a bare word', 'foo'],
  ])('rejects %s, naming the option', (_what, rua) => {
    const error = thrown(() => assertTlsRptRua('tlsRptRua', rua));
    expect(error.option).toBe('tlsRptRua');
    expect(error.message).toMatch(/^tlsRptRua: /);
    expect(error.message).toContain('mailto: or https:');
  });
});

describe('assertServerAddresses', () => {
  it.each([{ ipv4: '192.0.2.10' }, { ipv6: '2001:db8::10' }, { ipv4: '192.0.2.10', ipv6: '2001:db8::10' }])(
    'accepts %j',
    (addresses) => {
      expect(() => assertServerAddresses(addresses)).not.toThrow();
    },
  );

  it('rejects a configuration without any address, naming serverIpv4', () => {
    const error = thrown(() => assertServerAddresses({}));
    expect(error.option).toBe('serverIpv4');
    expect(error.message).toContain('at least one');
  });

  it.each(['999.1.1.1', '192.0.2', '2001:db8::10', 'example.com', ''])('rejects the IPv4 address %j', (ipv4) => {
    const error = thrown(() => assertServerAddresses({ ipv4 }));
    expect(error.option).toBe('serverIpv4');
    expect(error.message).toContain('is not an IPv4 address');
  });

  it.each(['nope', '2001:db8::g', '192.0.2.10', '[2001:db8::10]'])('rejects the IPv6 address %j', (ipv6) => {
    const error = thrown(() => assertServerAddresses({ ipv4: '192.0.2.10', ipv6 }));
    expect(error.option).toBe('serverIpv6');
    expect(error.message).toContain('is not an IPv6 address');
  });
});
