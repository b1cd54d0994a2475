import { Policy, renderPolicy } from '../../src/mta-sts/domain/policy';
import { mxMatches, parsePolicy } from '../../src/mta-sts/domain/policy-parser';

/** Joins policy lines with CRLF after every line, like a well-formed policy file. */
function crlf(...lines: string[]): string {
  return lines.map((line) => `${line}\r\n`).join('');
}

/** The LF problem, whatever its exact wording: it names LF and CRLF. */
const LF_PROBLEM = expect.stringContaining('LF instead of CRLF');

const VALID_LINES = ['version: STSv1', 'mode: testing', 'mx: mx1.example.com', 'max_age: 604800'];

describe('parsePolicy', () => {
  it.each<Policy>([
    { mode: 'testing', mx: ['mx1.example.com', 'mx2.example.com'], maxAge: 604_800 },
    { mode: 'enforce', mx: ['*.mail.protection.outlook.com', 'backup-mx.example.com'], maxAge: 31_557_600 },
    { mode: 'none', mx: [], maxAge: 86_400 },
  ])('reads back a policy rendered by renderPolicy ($mode) unchanged and with no problems', (policy) => {
    const parsed = parsePolicy(renderPolicy(policy));
    expect(parsed.problems).toEqual([]);
    expect(parsed.policy).toEqual(policy);
  });

  it('accepts a policy without a final line break', () => {
    const parsed = parsePolicy(VALID_LINES.join('\r\n'));
    expect(parsed.problems).toEqual([]);
    expect(parsed.policy).toEqual({ mode: 'testing', mx: ['mx1.example.com'], maxAge: 604_800 });
  });

  it('reports LF line endings', () => {
    const parsed = parsePolicy(VALID_LINES.map((line) => `${line}\n`).join(''));
    expect(parsed.problems).toEqual([LF_PROBLEM]);
    expect(parsed.policy).toBeUndefined();
  });

  it('reports a bare LF even when the other lines end with CRLF', () => {
    const text = 'version: STSv1\r\nmode: testing\nmx: mx1.example.com\r\nmax_age: 604800\r\n';
    const parsed = parsePolicy(text);
    expect(parsed.problems).toEqual([LF_PROBLEM]);
    expect(parsed.policy).toBeUndefined();
  });

  it('reports a blank line by its number', () => {
    const parsed = parsePolicy(crlf('version: STSv1', '', 'mode: testing', 'mx: mx1.example.com', 'max_age: 604800'));
    expect(parsed.problems).toEqual(['line 2 is not "key: value" (blank line)']);
    expect(parsed.policy).toBeUndefined();
  });

  it('reports a second final line break as a blank line', () => {
    const parsed = parsePolicy(`${crlf(...VALID_LINES)}\r\n`);
    expect(parsed.problems).toEqual(['line 5 is not "key: value" (blank line)']);
  });

  it('reports a line with a leading space as not "key: value"', () => {
    const parsed = parsePolicy(crlf('version: STSv1', ' mode: testing', 'mx: mx1.example.com', 'max_age: 604800'));
    expect(parsed.problems).toContain('line 2 is not "key: value"');
  });

  it('reports a missing version', () => {
    const parsed = parsePolicy(crlf('mode: testing', 'mx: mx1.example.com', 'max_age: 604800'));
    expect(parsed.problems).toEqual(['version is missing']);
    expect(parsed.policy).toBeUndefined();
  });

  it('reports a version that is not on the first line', () => {
    const parsed = parsePolicy(crlf('mode: testing', 'version: STSv1', 'mx: mx1.example.com', 'max_age: 604800'));
    expect(parsed.problems).toEqual(['version is not the first line']);
    expect(parsed.policy).toBeUndefined();
  });

  it('reports a wrong version with the value seen', () => {
    const parsed = parsePolicy(crlf('version: STSv2', 'mode: testing', 'mx: mx1.example.com', 'max_age: 604800'));
    expect(parsed.problems).toEqual(['version is "STSv2", not STSv1']);
    expect(parsed.policy).toBeUndefined();
  });

  it('reports a missing mode', () => {
    const parsed = parsePolicy(crlf('version: STSv1', 'mx: mx1.example.com', 'max_age: 604800'));
    expect(parsed.problems).toEqual(['mode is missing']);
    expect(parsed.policy).toBeUndefined();
  });

  it('reports an unknown mode with the value seen', () => {
    const parsed = parsePolicy(crlf('version: STSv1', 'mode: report', 'mx: mx1.example.com', 'max_age: 604800'));
    expect(parsed.problems).toEqual(['mode "report" is not testing, enforce or none']);
    expect(parsed.policy).toBeUndefined();
  });

  it('treats mode as case-sensitive', () => {
    const parsed = parsePolicy(crlf('version: STSv1', 'mode: Enforce', 'mx: mx1.example.com', 'max_age: 604800'));
    expect(parsed.problems).toEqual(['mode "Enforce" is not testing, enforce or none']);
  });

  it('reports a missing max_age', () => {
    const parsed = parsePolicy(crlf('version: STSv1', 'mode: testing', 'mx: mx1.example.com'));
    expect(parsed.problems).toEqual(['max_age is missing']);
    expect(parsed.policy).toBeUndefined();
  });

  it.each(['abc', '-1', '1.5', '86400s', '12345678901'])('reports the invalid max_age "%s"', (maxAge) => {
    const parsed = parsePolicy(crlf('version: STSv1', 'mode: testing', 'mx: mx1.example.com', `max_age: ${maxAge}`));
    expect(parsed.problems).toEqual([`max_age "${maxAge}" is not 0 to 31557600`]);
    expect(parsed.policy).toBeUndefined();
  });

  it('reports a max_age above 31557600 and accepts exactly 31557600', () => {
    const tooLarge = parsePolicy(crlf('version: STSv1', 'mode: testing', 'mx: mx1.example.com', 'max_age: 31557601'));
    expect(tooLarge.problems).toEqual(['max_age "31557601" is not 0 to 31557600']);
    const largest = parsePolicy(crlf('version: STSv1', 'mode: testing', 'mx: mx1.example.com', 'max_age: 31557600'));
    expect(largest.problems).toEqual([]);
    expect(largest.policy?.maxAge).toBe(31_557_600);
  });

  it('reports a repeated key other than mx with its count', () => {
    const parsed = parsePolicy(
      crlf('version: STSv1', 'mode: testing', 'mode: enforce', 'mx: mx1.example.com', 'max_age: 604800'),
    );
    expect(parsed.problems).toEqual(['mode appears 2 times']);
    expect(parsed.policy).toBeUndefined();
  });

  it('accepts several mx lines and keeps them in order', () => {
    const parsed = parsePolicy(
      crlf('version: STSv1', 'mode: enforce', 'mx: mx2.example.com', 'mx: *.example.net', 'max_age: 86400'),
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.policy?.mx).toEqual(['mx2.example.com', '*.example.net']);
  });

  it.each(['MX1.example.com', '**.example.com', '*.', 'mx1..example.com', '-mx.example.com'])(
    'reports the invalid mx pattern "%s"',
    (pattern) => {
      const parsed = parsePolicy(crlf('version: STSv1', 'mode: testing', `mx: ${pattern}`, 'max_age: 604800'));
      expect(parsed.problems).toEqual([`mx "${pattern}" is not a lower-case host name or *.domain`]);
      expect(parsed.policy).toBeUndefined();
    },
  );

  it.each(['testing', 'enforce'])('reports a %s policy without any mx line', (mode) => {
    const parsed = parsePolicy(crlf('version: STSv1', `mode: ${mode}`, 'max_age: 604800'));
    expect(parsed.problems).toEqual(['no mx line although mode is not none']);
    expect(parsed.policy).toBeUndefined();
  });

  it('accepts mode none without any mx line', () => {
    const parsed = parsePolicy(crlf('version: STSv1', 'mode: none', 'max_age: 86400'));
    expect(parsed.problems).toEqual([]);
    expect(parsed.policy).toEqual({ mode: 'none', mx: [], maxAge: 86_400 });
  });

  it('reports every problem at once rather than only the first', () => {
    const parsed = parsePolicy('mode: sometimes\nmx: MX.example.com\nmax_age: forever\n');
    expect(parsed.problems).toEqual([
      LF_PROBLEM,
      'version is missing',
      'mode "sometimes" is not testing, enforce or none',
      'max_age "forever" is not 0 to 31557600',
      'mx "MX.example.com" is not a lower-case host name or *.domain',
    ]);
    expect(parsed.policy).toBeUndefined();
  });
});

describe('mxMatches', () => {
  it('matches an identical host name', () => {
    expect(mxMatches('mx1.example.com', 'mx1.example.com')).toBe(true);
  });

  it('does not match a different host name', () => {
    expect(mxMatches('mx1.example.com', 'mx2.example.com')).toBe(false);
    expect(mxMatches('mx1.example.com', 'mx1.example.com.evil.net')).toBe(false);
  });

  it('compares the host case-insensitively', () => {
    expect(mxMatches('mx1.example.com', 'MX1.Example.COM')).toBe(true);
  });

  it('ignores a trailing dot on the host', () => {
    expect(mxMatches('mx1.example.com', 'mx1.example.com.')).toBe(true);
    expect(mxMatches('*.example.com', 'Mx1.Example.com.')).toBe(true);
  });

  it('lets a wildcard cover exactly one leftmost label', () => {
    expect(mxMatches('*.example.com', 'mx1.example.com')).toBe(true);
  });

  it('does not let a wildcard cover the apex', () => {
    expect(mxMatches('*.example.com', 'example.com')).toBe(false);
    expect(mxMatches('*.example.com', '.example.com')).toBe(false);
  });

  it('does not let a wildcard cover two labels', () => {
    expect(mxMatches('*.example.com', 'a.b.example.com')).toBe(false);
  });

  it('does not let a wildcard cover a host in another domain with the same ending', () => {
    expect(mxMatches('*.example.com', 'mx1.badexample.com')).toBe(false);
  });

  it('covers a Microsoft 365 tenant host with *.mail.protection.outlook.com', () => {
    expect(mxMatches('*.mail.protection.outlook.com', 'contoso-com.mail.protection.outlook.com')).toBe(true);
    expect(mxMatches('*.mail.protection.outlook.com', 'contoso-com.mail.protection.outlook.com.')).toBe(true);
    expect(mxMatches('contoso-com.mail.protection.outlook.com', 'fabrikam-com.mail.protection.outlook.com')).toBe(
      false,
    );
  });
});
