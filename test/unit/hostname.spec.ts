import { InvalidInputError } from '../../src/mta-sts/domain/errors';
import { DomainName, hostnameProblem, parseDomainName } from '../../src/mta-sts/domain/hostname';

/** A valid name of exactly `length` characters: 63-character labels, then a shorter one, then `.com`. */
function nameOfLength(length: number): string {
  const tld = 'com';
  let budget = length - tld.length; // each label costs its length plus the dot after it
  const labels: string[] = [];
  while (budget > 0) {
    // Keep at least 2 characters for the next label (1 letter plus its dot).
    let size = Math.min(63, budget - 1);
    if (budget - (size + 1) === 1) size -= 1;
    labels.push('a'.repeat(size));
    budget -= size + 1;
  }
  const name = [...labels, tld].join('.');
  if (name.length !== length) throw new Error(`helper built ${name.length} characters, wanted ${length}`);
  return name;
}

function refusal(input: unknown): InvalidInputError {
  try {
    parseDomainName(input);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw new Error(`expected InvalidInputError, got ${String(error)}`);
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused, but it was accepted`);
}

describe('parseDomainName', () => {
  describe('accepted names', () => {
    it('lower-cases the name and strips one trailing dot', () => {
      const domain = parseDomainName('Example.COM.');
      expect(domain).toBeInstanceOf(DomainName);
      expect(domain.ascii).toBe('example.com');
      expect(domain.toString()).toBe('example.com');
      expect(`${domain}`).toBe('example.com');
    });

    it('converts an internationalized name to A-labels and gives the U-labels back for display', () => {
      const domain = parseDomainName('bücher.example');
      expect(domain.ascii).toBe('xn--bcher-kva.example');
      expect(domain.unicode).toBe('bücher.example');
    });

    it('lower-cases upper-case U-labels before converting them', () => {
      expect(parseDomainName('BÜCHER.Example').ascii).toBe('xn--bcher-kva.example');
    });

    it('accepts a name given already in A-label form and shows it as U-labels', () => {
      const domain = parseDomainName('XN--BCHER-KVA.example');
      expect(domain.ascii).toBe('xn--bcher-kva.example');
      expect(domain.unicode).toBe('bücher.example');
    });

    it('shows a plain ASCII name unchanged as its display form', () => {
      expect(parseDomainName('mail.example.org').unicode).toBe('mail.example.org');
    });

    it('accepts digits and inner hyphens in labels', () => {
      expect(parseDomainName('mx-1.a0-b.example').ascii).toBe('mx-1.a0-b.example');
    });

    it('accepts an all-digit label that is not the last one', () => {
      expect(parseDomainName('123.example.com').ascii).toBe('123.example.com');
    });

    it('accepts a label of exactly 63 characters', () => {
      const label = 'a'.repeat(63);
      expect(parseDomainName(`${label}.com`).ascii).toBe(`${label}.com`);
    });

    it('accepts the longest name whose _smtp._tls record name still fits in 253 characters', () => {
      const name = nameOfLength(253 - '_smtp._tls.'.length);
      const domain = parseDomainName(name);
      expect(domain.ascii).toBe(name);
      expect(domain.tlsRptRecordName).toHaveLength(253);
    });

    it('trims surrounding whitespace, so a trailing newline never reaches a generated file', () => {
      // The source documents that it trims; what comes out is the clean name only.
      expect(parseDomainName('  example.com\n').ascii).toBe('example.com');
      expect(parseDomainName('\texample.com\r').ascii).toBe('example.com');
    });
  });

  describe('derived names', () => {
    const domain = parseDomainName('Example.com');

    it('names the policy host mta-sts.<domain>', () => {
      expect(domain.policyHost).toBe('mta-sts.example.com');
    });

    it('names the policy indicator record _mta-sts.<domain>', () => {
      expect(domain.policyRecordName).toBe('_mta-sts.example.com');
    });

    it('names the TLS reporting record _smtp._tls.<domain>', () => {
      expect(domain.tlsRptRecordName).toBe('_smtp._tls.example.com');
    });

    it('uses A-labels in every derived name of an internationalized domain', () => {
      const idn = parseDomainName('bücher.example');
      expect(idn.policyHost).toBe('mta-sts.xn--bcher-kva.example');
      expect(idn.policyRecordName).toBe('_mta-sts.xn--bcher-kva.example');
      expect(idn.tlsRptRecordName).toBe('_smtp._tls.xn--bcher-kva.example');
    });
  });

  describe('hostile names', () => {
    const label64 = 'a'.repeat(64);
    const over253 = ['a', 'b', 'c', 'd'].map((c) => c.repeat(63)).join('.'); // 255 characters
    const tooLongWithPrefix = nameOfLength(246); // fits alone, not behind `_smtp._tls.`

    it.each<[string, unknown, RegExp]>([
      ['an IPv4 address', '1.2.3.4', /IP address/],
      ['an IPv4 address with a trailing dot', '1.2.3.4.', /IP address/],
      ['an IPv6 address', '::1', /only letters, digits, hyphens and dots/],
      ['a bracketed IPv6 address', '[::1]', /only letters, digits, hyphens and dots/],
      ['a hexadecimal IPv4 shorthand', '0x7f.1', /numeric/],
      ['a name whose last label is all digits', 'example.123', /numeric/],
      ['a hexadecimal last label', 'example.0x1f', /numeric/],
      ['a label of 64 characters', `${label64}.com`, /longer than 63 characters/],
      ['a name over 253 characters', over253, /longer than 253 characters/],
      ['a name whose _smtp._tls record name exceeds 253 characters', tooLongWithPrefix, /_smtp\._tls\..*253/],
      ['the empty string', '', /empty/],
      ['only spaces', '   ', /empty/],
      ['a single dot', '.', /empty label/],
      ['two dots', '..', /empty label/],
      ['two dots inside the name', 'a..b.com', /empty label/],
      ['a leading dot', '.example.com', /empty label/],
      ['two dots before the last label', 'example..com', /empty label/],
      ['two trailing dots', 'example.com..', /empty label/],
      ['a label starting with a hyphen', '-a.com', /inner hyphens/],
      ['a label ending with a hyphen', 'a-.com', /inner hyphens/],
      ['a space inside the name', 'exa mple.com', /only letters, digits, hyphens and dots/],
      ['a newline inside the name', 'exa\nmple.com', /only letters, digits, hyphens and dots/],
      ['a newline followed by another line', 'example.com\nevil.example', /only letters, digits, hyphens and dots/],
      ['a semicolon', 'example.com;', /only letters, digits, hyphens and dots/],
      ['an underscore', 'ex_ample.com', /inner hyphens/],
      ['a path after the name', 'example.com/../x', /only letters, digits, hyphens and dots/],
      ['a path traversal', '../../etc/passwd', /only letters, digits, hyphens and dots/],
      ['braces', 'example.com{}', /only letters, digits, hyphens and dots/],
      ['a dollar sign', '$host.com', /only letters, digits, hyphens and dots/],
      ['a double quote', 'ex"ample.com', /only letters, digits, hyphens and dots/],
      ['a single quote', "exa'mple.com", /only letters, digits, hyphens and dots/],
      ['a backslash', 'exa\\mple.com', /only letters, digits, hyphens and dots/],
      ['a wildcard', '*.example.com', /only letters, digits, hyphens and dots/],
      ['a port', 'example.com:443', /only letters, digits, hyphens and dots/],
      ['an e-mail address', 'user@example.com', /only letters, digits, hyphens and dots/],
      ['a percent-encoded character', 'ex%41mple.com', /only letters, digits, hyphens and dots/],
      ['a URL', 'https://example.com', /only letters, digits, hyphens and dots/],
      ['a single label', 'localhost', /at least two labels/],
      ['a NUL byte', 'example\u0000.com', /only letters, digits, hyphens and dots/],
      ['a NUL byte at the end', 'example.com\u0000', /only letters, digits, hyphens and dots/],
      ['a carriage return', 'exa\rmple.com', /only letters, digits, hyphens and dots/],
      ['a header injection', 'example.com\r\nHost: evil.example', /only letters, digits, hyphens and dots/],
      ['a broken punycode label', 'xn--zz.com', /internationalized/],
      ['a number', 42, /must be a string/],
      ['null', null, /must be a string/],
      ['undefined', undefined, /must be a string/],
      ['an object', { domain: 'example.com' }, /must be a string/],
      ['an array', ['example.com'], /must be a string/],
    ])('refuses %s', (_what, input, reason) => {
      const error = refusal(input);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.kind).toBe('invalid');
      expect(error.message).toMatch(/is not a valid domain name: /);
      expect(error.message).toMatch(reason);
      expect(error.message.endsWith('.')).toBe(true);
    });

    it('quotes the refused input in the message', () => {
      expect(refusal('example.com;').message).toBe(
        '"example.com;" is not a valid domain name: only letters, digits, hyphens and dots are allowed.',
      );
    });

    it('shortens a very long refused input in the message', () => {
      const error = refusal(over253);
      expect(error.message).toContain(`"${over253.slice(0, 80)}…"`);
      expect(error.message).not.toContain(over253);
    });
  });
});

describe('hostnameProblem', () => {
  it.each(['example.com', 'mx1.example.com', 'xn--bcher-kva.example', 'a.b', `${'a'.repeat(63)}.com`])(
    'finds nothing wrong with %s',
    (name) => {
      expect(hostnameProblem(name)).toBeUndefined();
    },
  );

  it.each<[string, string, RegExp]>([
    ['the empty string', '', /empty/],
    ['an IPv4 address', '192.0.2.1', /IP address/],
    ['an IPv6 address', '2001:db8::1', /IP address/],
    ['a name over 253 characters', `${'a.'.repeat(127)}com`, /longer than 253/],
    ['an empty label', 'a..com', /empty label/],
    ['a trailing dot', 'example.com.', /empty label/],
    ['a label over 63 characters', `${'a'.repeat(64)}.com`, /longer than 63/],
    ['upper-case letters (the input must be lower-case already)', 'Example.com', /letters, digits and inner hyphens/],
    ['an underscore', '_dmarc.example.com', /letters, digits and inner hyphens/],
    ['a wildcard label', '*.example.com', /letters, digits and inner hyphens/],
    ['a single label', 'localhost', /at least two labels/],
    ['an all-digit last label', 'example.123', /all digits/],
  ])('reports %s', (_what, name, reason) => {
    expect(hostnameProblem(name)).toMatch(reason);
  });
});
