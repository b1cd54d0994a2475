import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../../src/mta-sts/domain/errors';
import {
  INITIAL_MODE,
  MAX_AGE_DEFAULT,
  MAX_AGE_MAX,
  MAX_AGE_MIN,
  MxProblem,
  Policy,
  assertMaxAge,
  assertMode,
  mxPatternsFromExchanges,
  renderPolicy,
} from '../../src/mta-sts/domain/policy';

const GOLDEN = join(__dirname, '..', 'golden');

function golden(name: string): Buffer {
  return readFileSync(join(GOLDEN, name));
}

const testingPolicy: Policy = { mode: 'testing', mx: ['mx1.example.com', 'mx2.example.com'], maxAge: 604_800 };

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('renderPolicy', () => {
  it('renders a testing policy byte for byte like the golden file', () => {
    const text = renderPolicy(testingPolicy);
    expect(Buffer.from(text, 'utf8').equals(golden('policy-testing.txt'))).toBe(true);
  });

  it('renders an enforce policy for Microsoft 365 byte for byte like the golden file', () => {
    const mx = mxPatternsFromExchanges('example.com', [
      'contoso-com.mail.protection.outlook.com.',
      'Backup-MX.example.com.',
    ]);
    const text = renderPolicy({ mode: 'enforce', mx, maxAge: 1_209_600 });
    expect(Buffer.from(text, 'utf8').equals(golden('policy-enforce-m365.txt'))).toBe(true);
  });

  it('ends every line with CRLF and has no bare LF, no blank line and no surrounding spaces', () => {
    const text = renderPolicy(testingPolicy);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.endsWith('\r\n\r\n')).toBe(false);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lines = text.split('\r\n').slice(0, -1);
    for (const line of lines) {
      expect(line).toMatch(/^[a-z_]+: \S+$/);
    }
  });

  it('puts version first, then mode, then the mx lines, then max_age last', () => {
    const lines = renderPolicy({ mode: 'enforce', mx: ['a.example', 'b.example', 'c.example'], maxAge: 86_400 })
      .split('\r\n')
      .slice(0, -1);
    expect(lines).toEqual([
      'version: STSv1',
      'mode: enforce',
      'mx: a.example',
      'mx: b.example',
      'mx: c.example',
      'max_age: 86400',
    ]);
  });

  it('never repeats a key other than mx', () => {
    const keys = renderPolicy(testingPolicy)
      .split('\r\n')
      .slice(0, -1)
      .map((line) => line.slice(0, line.indexOf(':')))
      .filter((key) => key !== 'mx');
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(['testing', 'enforce'] as const)('refuses mode %s without any mx line', (mode) => {
    const error = thrown(() => renderPolicy({ mode, mx: [], maxAge: 86_400 }));
    expect(error).toBeInstanceOf(MxProblem);
    expect(error.message).toMatch(/at least one mx/);
  });

  it('allows a mode none policy without any mx line', () => {
    expect(renderPolicy({ mode: 'none', mx: [], maxAge: 86_400 })).toBe(
      'version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n',
    );
  });
});

describe('mxPatternsFromExchanges', () => {
  it('lower-cases host names and strips the trailing dot', () => {
    expect(mxPatternsFromExchanges('example.com', ['MX1.Example.COM.'])).toEqual(['mx1.example.com']);
  });

  it('converts internationalized host names to A-labels', () => {
    expect(mxPatternsFromExchanges('example.com', ['mx.bücher.example.'])).toEqual(['mx.xn--bcher-kva.example']);
  });

  it('removes duplicates that differ only in case or trailing dot', () => {
    expect(mxPatternsFromExchanges('example.com', ['mx1.example.com', 'MX1.EXAMPLE.COM.', 'mx1.example.com.'])).toEqual(
      ['mx1.example.com'],
    );
  });

  it('sorts the patterns so the policy text does not depend on DNS answer order', () => {
    const a = mxPatternsFromExchanges('example.com', ['mx2.example.com', 'mx10.example.com', 'mx1.example.com']);
    const b = mxPatternsFromExchanges('example.com', ['mx1.example.com', 'mx2.example.com', 'mx10.example.com']);
    expect(a).toEqual(['mx1.example.com', 'mx10.example.com', 'mx2.example.com']);
    expect(b).toEqual(a);
  });

  it('collapses Microsoft 365 tenant hosts to the wildcard', () => {
    expect(
      mxPatternsFromExchanges('example.com', [
        'contoso-com.mail.protection.outlook.com.',
        'Fabrikam-COM.mail.protection.outlook.com',
      ]),
    ).toEqual(['*.mail.protection.outlook.com']);
  });

  it('keeps other MX hosts next to the Microsoft 365 wildcard', () => {
    expect(
      mxPatternsFromExchanges('example.com', ['contoso-com.mail.protection.outlook.com.', 'backup.example.com.']),
    ).toEqual(['*.mail.protection.outlook.com', 'backup.example.com']);
  });

  it('does not collapse a host that only ends with the same letters as the Microsoft 365 suffix', () => {
    expect(mxPatternsFromExchanges('example.com', ['mx.evilmail.protection.outlook.com'])).toEqual([
      'mx.evilmail.protection.outlook.com',
    ]);
  });

  it('keeps a host two labels below the Microsoft 365 suffix, which the one-label wildcard would not match', () => {
    // RFC 8461 §4.1: `*.mail.protection.outlook.com` covers exactly one leftmost label, so
    // replacing `a.b.mail.protection.outlook.com` with it would make an enforce policy reject that MX.
    const patterns = mxPatternsFromExchanges('example.com', ['a.b.mail.protection.outlook.com.']);
    expect(patterns).toEqual(['a.b.mail.protection.outlook.com']);
  });

  it('refuses an empty MX list with a message about missing MX records', () => {
    const error = thrown(() => mxPatternsFromExchanges('example.com', []));
    expect(error).toBeInstanceOf(MxProblem);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toContain('example.com has no MX records');
  });

  it.each(['', '.'])('refuses the null MX %j and cites RFC 7505', (exchange) => {
    const error = thrown(() => mxPatternsFromExchanges('example.com', ['mx1.example.com', exchange]));
    expect(error).toBeInstanceOf(MxProblem);
    expect(error.message).toContain('null MX');
    expect(error.message).toContain('RFC 7505');
  });

  it.each<[string, RegExp]>([
    ['mx..example.com', /empty label/],
    ['mx.example.com..', /empty label/],
    ['192.0.2.25', /IP address/],
    ['mx_1.example.com', /letters, digits and inner hyphens/],
    ['*.example.com', /letters, digits and inner hyphens/],
    ['mx example.com', /not a valid host name/],
    ['mx.example.com;evil', /letters, digits and inner hyphens/],
    ['localhost', /at least two labels/],
  ])('refuses the invalid MX host %j, naming it in the message', (exchange, reason) => {
    const error = thrown(() => mxPatternsFromExchanges('example.com', [exchange]));
    expect(error).toBeInstanceOf(MxProblem);
    expect(error.message).toContain(`"${exchange}"`);
    expect(error.message).toContain('example.com');
    expect(error.message).toMatch(reason);
  });
});

describe('assertMaxAge', () => {
  it.each([86_400, 604_800, 2_592_000, 31_557_600])('accepts %d seconds', (maxAge) => {
    expect(assertMaxAge(maxAge)).toBe(maxAge);
  });

  it('uses bounds of one day and one year and a one-week default', () => {
    expect([MAX_AGE_MIN, MAX_AGE_DEFAULT, MAX_AGE_MAX]).toEqual([86_400, 604_800, 31_557_600]);
  });

  it.each<[string, unknown]>([
    ['one second under a day', 86_399],
    ['one second over the RFC maximum', 31_557_601],
    ['a fraction', 1.5],
    ['a numeric string', '604800'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['zero', 0],
    ['a negative number', -604_800],
    ['undefined', undefined],
    ['null', null],
  ])('rejects %s', (_what, maxAge) => {
    const error = thrown(() => assertMaxAge(maxAge));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe('max_age must be a whole number of seconds from 86400 (1 day) to 31557600 (1 year).');
  });
});

describe('assertMode', () => {
  it.each(['testing', 'enforce', 'none'])('accepts %s', (mode) => {
    expect(assertMode(mode)).toBe(mode);
  });

  it('starts new domains in testing mode', () => {
    expect(INITIAL_MODE).toBe('testing');
  });

  it.each<[string, unknown]>([
    ['an upper-case mode', 'Enforce'],
    ['a mode with a space', 'testing '],
    ['an unknown mode', 'report'],
    ['the empty string', ''],
    ['a number', 1],
    ['undefined', undefined],
  ])('rejects %s', (_what, mode) => {
    const error = thrown(() => assertMode(mode));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe('mode must be one of testing, enforce, none.');
  });
});
