import { addressRecords } from '../../src/mta-sts/domain/dns-records';
import { CertificateInfo } from '../../src/mta-sts/domain/certificate';
import {
  CheckId,
  CheckStatus,
  CheckVerdict,
  Lookup,
  PolicyExchange,
  PresentedCertificate,
  checkAddresses,
  checkCertificate,
  checkMxCoverage,
  checkPolicyEndpoint,
  checkPolicyRecord,
  checkTlsRpt,
  domainBadge,
} from '../../src/mta-sts/domain/checks';
import { parseDomainName } from '../../src/mta-sts/domain/hostname';
import { renderPolicy } from '../../src/mta-sts/domain/policy';

const DAY = 86_400_000;
/** Dates as admins read them in a summary. */
const readable = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const HOUR = 3_600_000;

const domain = parseDomainName('example.com');
const POLICY_URL = 'https://mta-sts.example.com/.well-known/mta-sts.txt';

const IPV4 = '203.0.113.10';
const IPV6 = '2001:db8::10';

function ok<T>(value: T): Lookup<T> {
  return { ok: true, value };
}

function failed<T>(error: string): Lookup<T> {
  return { ok: false, error };
}

/** Asserts a non-pass verdict of the given check and status that tells the admin what to do. */
function expectProblem(verdict: CheckVerdict, check: CheckId, status: Exclude<CheckStatus, 'pass'>): void {
  expect(verdict.check).toBe(check);
  expect(verdict.status).toBe(status);
  expect(verdict.summary).not.toBe('');
  expect(verdict.remedy.trim()).not.toBe('');
}

function expectPass(verdict: CheckVerdict, check: CheckId): void {
  expect(verdict.check).toBe(check);
  expect(verdict.status).toBe('pass');
  expect(verdict.remedy).toBe('');
}

describe('checkAddresses', () => {
  describe('with several nodes', () => {
    const nodes = { ipv4: ['192.0.2.11', '192.0.2.12', '192.0.2.13'] };

    it('passes when the host points at every node', () => {
      expectPass(
        checkAddresses(domain, nodes, { a: ok(['192.0.2.13', '192.0.2.11', '192.0.2.12']), aaaa: ok([]) }),
        'dns',
      );
    });

    it('warns about a node whose address is not published, and names it', () => {
      const verdict = checkAddresses(domain, nodes, { a: ok(['192.0.2.11', '192.0.2.12']), aaaa: ok([]) });
      expect(verdict.status).toBe('warn');
      expect(verdict.summary).toContain('192.0.2.13');
      expect(verdict.remedy).toContain('DELETE /api/nodes/');
    });

    it('fails on an address that is no node, naming every node to keep', () => {
      const verdict = checkAddresses(domain, nodes, { a: ok(['192.0.2.11', '198.51.100.7']), aaaa: ok([]) });
      expect(verdict.status).toBe('fail');
      expect(verdict.summary).toContain('198.51.100.7 is not this server');
      expect(verdict.remedy).toContain('192.0.2.11, 192.0.2.12, 192.0.2.13 only');
    });

    it('lists one record per node to publish', () => {
      const records = addressRecords(domain, { ipv4: nodes.ipv4, ipv6: ['2001:db8::11'] });
      expect(records.map((record) => `${record.type} ${record.value}`)).toEqual([
        'A 192.0.2.11',
        'A 192.0.2.12',
        'A 192.0.2.13',
        'AAAA 2001:db8::11',
      ]);
      expect(records[0].purpose).toContain('publish one for each');
    });
  });

  it('passes when the A record is this server and no IPv6 is configured or published', () => {
    const verdict = checkAddresses(domain, { ipv4: IPV4 }, { a: ok([IPV4]), aaaa: ok([]) });
    expectPass(verdict, 'dns');
    expect(verdict.summary).toBe('mta-sts.example.com points at this server.');
    expect(verdict.detail).toContain(IPV4);
  });

  it('passes when both families point at this server', () => {
    const verdict = checkAddresses(domain, { ipv4: IPV4, ipv6: IPV6 }, { a: ok([IPV4]), aaaa: ok([IPV6]) });
    expectPass(verdict, 'dns');
  });

  it('passes when only IPv6 is configured and only AAAA is published', () => {
    const verdict = checkAddresses(domain, { ipv6: IPV6 }, { a: ok([]), aaaa: ok([IPV6]) });
    expectPass(verdict, 'dns');
  });

  it('fails when the A record points elsewhere, naming the address seen and the one expected', () => {
    const verdict = checkAddresses(domain, { ipv4: IPV4 }, { a: ok(['198.51.100.7']), aaaa: ok([]) });
    expectProblem(verdict, 'dns', 'fail');
    expect(verdict.summary).toContain('198.51.100.7');
    expect(verdict.summary).toContain(IPV4);
    expect(verdict.remedy).toContain(`Change mta-sts.example.com A to ${IPV4} only.`);
  });

  it('fails when one of several A records points elsewhere, naming only the stranger', () => {
    const verdict = checkAddresses(domain, { ipv4: IPV4 }, { a: ok([IPV4, '198.51.100.7']), aaaa: ok([]) });
    expectProblem(verdict, 'dns', 'fail');
    expect(verdict.summary).toBe(`mta-sts.example.com: A 198.51.100.7 is not this server (${IPV4}).`);
  });

  it('fails when the A record is missing, and the remedy gives the record to publish', () => {
    const verdict = checkAddresses(domain, { ipv4: IPV4 }, { a: ok([]), aaaa: ok([]) });
    expectProblem(verdict, 'dns', 'fail');
    expect(verdict.summary).toBe('mta-sts.example.com: no A record.');
    expect(verdict.remedy).toContain(`Publish mta-sts.example.com A ${IPV4}.`);
  });

  it('fails when IPv6 is configured but the AAAA record is missing', () => {
    const verdict = checkAddresses(domain, { ipv4: IPV4, ipv6: IPV6 }, { a: ok([IPV4]), aaaa: ok([]) });
    expectProblem(verdict, 'dns', 'fail');
    expect(verdict.summary).toBe('mta-sts.example.com: no AAAA record.');
    expect(verdict.remedy).toContain(`Publish mta-sts.example.com AAAA ${IPV6}.`);
  });

  it('fails when an AAAA record exists but no IPv6 address is configured', () => {
    const verdict = checkAddresses(domain, { ipv4: IPV4 }, { a: ok([IPV4]), aaaa: ok(['2001:db8::99']) });
    expectProblem(verdict, 'dns', 'fail');
    expect(verdict.summary).toContain('AAAA 2001:db8::99 is not this server');
    expect(verdict.remedy).toContain('Remove the AAAA record of mta-sts.example.com');
    expect(verdict.remedy).toContain('IPv6');
  });

  it('fails when the AAAA record points elsewhere, naming both addresses', () => {
    const verdict = checkAddresses(domain, { ipv4: IPV4, ipv6: IPV6 }, { a: ok([IPV4]), aaaa: ok(['2001:db8::99']) });
    expectProblem(verdict, 'dns', 'fail');
    expect(verdict.summary).toContain('2001:db8::99');
    expect(verdict.summary).toContain(IPV6);
  });

  it('compares IPv6 addresses by value, not by spelling', () => {
    // node's resolve6 answers in compressed lower-case form; the configured address may be spelt otherwise.
    const verdict = checkAddresses(
      domain,
      { ipv4: IPV4, ipv6: '2001:DB8:0:0:0:0:0:10' },
      { a: ok([IPV4]), aaaa: ok([IPV6]) },
    );
    expectPass(verdict, 'dns');
  });

  it('fails when a look-up fails, naming the error', () => {
    const verdict = checkAddresses(domain, { ipv4: IPV4 }, { a: failed('queryA ESERVFAIL'), aaaa: ok([]) });
    expectProblem(verdict, 'dns', 'fail');
    expect(verdict.summary).toContain('the A look-up failed (queryA ESERVFAIL)');
    expect(verdict.remedy).toContain('mta-sts.example.com');
  });

  it('reports problems of both families in one verdict', () => {
    const verdict = checkAddresses(
      domain,
      { ipv4: IPV4, ipv6: IPV6 },
      { a: ok(['198.51.100.7']), aaaa: failed('queryAaaa ETIMEOUT') },
    );
    expectProblem(verdict, 'dns', 'fail');
    expect(verdict.summary).toContain('198.51.100.7');
    expect(verdict.summary).toContain('queryAaaa ETIMEOUT');
  });
});

describe('checkPolicyEndpoint', () => {
  const served = renderPolicy({ mode: 'testing', mx: ['mx1.example.com'], maxAge: 604_800 });

  function exchange(overrides: Partial<PolicyExchange> = {}): Lookup<PolicyExchange> {
    return ok({
      status: 200,
      contentType: 'text/plain',
      body: served,
      truncated: false,
      elapsedMs: 120,
      ...overrides,
    });
  }

  it('passes when the endpoint serves exactly the served policy as text/plain with status 200', () => {
    const verdict = checkPolicyEndpoint(domain, exchange(), served);
    expectPass(verdict, 'https');
    expect(verdict.summary).toBe(`${POLICY_URL} serves the policy.`);
    expect(verdict.detail).toContain('120 ms');
  });

  it('fails on a redirect, naming the status and the location', () => {
    const verdict = checkPolicyEndpoint(
      domain,
      exchange({ status: 301, location: 'https://www.example.com/', body: '' }),
      served,
    );
    expectProblem(verdict, 'https', 'fail');
    expect(verdict.summary).toContain(POLICY_URL);
    expect(verdict.summary).toContain('301');
    expect(verdict.summary).toContain('https://www.example.com/');
    expect(verdict.summary).toContain('never follow redirects');
  });

  it('fails on status 404, naming the status', () => {
    const verdict = checkPolicyEndpoint(domain, exchange({ status: 404, body: 'Not Found' }), served);
    expectProblem(verdict, 'https', 'fail');
    expect(verdict.summary).toContain('status: 404, not 200');
  });

  it('fails on text/plain with a charset parameter, naming the content type seen', () => {
    const verdict = checkPolicyEndpoint(domain, exchange({ contentType: 'text/plain; charset=utf-8' }), served);
    expectProblem(verdict, 'https', 'fail');
    expect(verdict.summary).toContain('"text/plain; charset=utf-8"');
    expect(verdict.summary).toContain('not exactly text/plain');
  });

  it('fails when the content type is missing', () => {
    const verdict = checkPolicyEndpoint(domain, exchange({ contentType: undefined }), served);
    expectProblem(verdict, 'https', 'fail');
    expect(verdict.summary).toContain('content-type: missing');
  });

  it('fails when the body is a valid policy that differs from the served one', () => {
    const other = renderPolicy({ mode: 'enforce', mx: ['mx1.example.com'], maxAge: 604_800 });
    const verdict = checkPolicyEndpoint(domain, exchange({ body: other }), served);
    expectProblem(verdict, 'https', 'fail');
    expect(verdict.summary).toContain('differs from the policy this panel serves');
    expect(verdict.summary).not.toContain('policy:');
    expect(verdict.detail).toContain('mode: enforce');
  });

  it('fails when the body is not a valid policy, naming the parser problem', () => {
    const verdict = checkPolicyEndpoint(domain, exchange({ body: '<html>It works!</html>' }), undefined);
    expectProblem(verdict, 'https', 'fail');
    expect(verdict.summary).toContain('policy: line 1 is not "key: value"');
    expect(verdict.summary).toContain('policy: version is missing');
    expect(verdict.detail).toContain('<html>It works!</html>');
  });

  it('fails when the body was truncated at the size limit', () => {
    const verdict = checkPolicyEndpoint(domain, exchange({ truncated: true }), served);
    expectProblem(verdict, 'https', 'fail');
    expect(verdict.summary).toContain('size: larger than 65536 bytes');
  });

  it('fails when the answer took longer than 10 s, naming the time taken', () => {
    const verdict = checkPolicyEndpoint(domain, exchange({ elapsedMs: 12_345 }), served);
    expectProblem(verdict, 'https', 'fail');
    expect(verdict.summary).toContain('time: 12345 ms');
  });

  it('passes at exactly 10 s', () => {
    expectPass(checkPolicyEndpoint(domain, exchange({ elapsedMs: 10_000 }), served), 'https');
  });

  it('fails when the fetch fails, naming the URL and the error', () => {
    const verdict = checkPolicyEndpoint(domain, failed('connect ECONNREFUSED 203.0.113.10:443'), served);
    expectProblem(verdict, 'https', 'fail');
    expect(verdict.summary).toBe(`${POLICY_URL} could not be fetched: connect ECONNREFUSED 203.0.113.10:443.`);
  });
});

describe('checkCertificate', () => {
  const now = new Date('2026-06-01T12:00:00Z');

  function certificate(overrides: Partial<CertificateInfo> = {}): CertificateInfo {
    return {
      issuer: 'R11 (Let’s Encrypt)',
      subject: 'CN=mta-sts.example.com',
      notBefore: new Date(now.getTime() - 30 * DAY),
      notAfter: new Date(now.getTime() + 60 * DAY),
      dnsNames: ['mta-sts.example.com'],
      serialNumber: '0123456789ABCDEF',
      fingerprint256: 'AA:BB',
      ...overrides,
    };
  }

  function presented(info: CertificateInfo, trusted = true, trustError?: string): Lookup<PresentedCertificate> {
    return ok({ info, trusted, trustError });
  }

  it('passes for a trusted certificate of the policy host, giving the days left and the issuer', () => {
    const verdict = checkCertificate(domain, presented(certificate()), now);
    expectPass(verdict, 'certificate');
    expect(verdict.summary).toBe('Valid until 2026-07-31 (60 days), issued by R11 (Let’s Encrypt).');
  });

  it('passes for a wildcard certificate covering the policy host', () => {
    const verdict = checkCertificate(domain, presented(certificate({ dnsNames: ['*.example.com'] })), now);
    expectPass(verdict, 'certificate');
  });

  it('warns when fewer than 14 days are left, giving the days and the date', () => {
    const verdict = checkCertificate(
      domain,
      presented(certificate({ notAfter: new Date(now.getTime() + 10 * DAY) })),
      now,
    );
    expectProblem(verdict, 'certificate', 'warn');
    expect(verdict.summary).toBe('The certificate of mta-sts.example.com expires in 10 day(s), on 2026-06-11.');
  });

  it('passes with exactly 14 days left', () => {
    const verdict = checkCertificate(
      domain,
      presented(certificate({ notAfter: new Date(now.getTime() + 14 * DAY) })),
      now,
    );
    expectPass(verdict, 'certificate');
  });

  it('fails for an expired certificate, naming the expiry date', () => {
    const notAfter = new Date(now.getTime() - DAY);
    const verdict = checkCertificate(domain, presented(certificate({ notAfter })), now);
    expectProblem(verdict, 'certificate', 'fail');
    expect(verdict.summary).toBe(`The certificate of mta-sts.example.com expired on ${readable(notAfter)}.`);
  });

  it('fails for a certificate that is not yet valid, naming its start', () => {
    const notBefore = new Date(now.getTime() + HOUR);
    const verdict = checkCertificate(domain, presented(certificate({ notBefore })), now);
    expectProblem(verdict, 'certificate', 'fail');
    expect(verdict.summary).toBe(`The certificate of mta-sts.example.com is not valid before ${readable(notBefore)}.`);
  });

  it('fails for a certificate of another name, naming the names it has', () => {
    const verdict = checkCertificate(
      domain,
      presented(certificate({ dnsNames: ['www.example.org', 'example.org'], subject: 'CN=www.example.org' })),
      now,
    );
    expectProblem(verdict, 'certificate', 'fail');
    expect(verdict.summary).toBe(
      'The certificate presented for mta-sts.example.com is for www.example.org, example.org.',
    );
  });

  it('names the subject when a certificate of another name has no DNS names', () => {
    const verdict = checkCertificate(domain, presented(certificate({ dnsNames: [], subject: 'CN=localhost' })), now);
    expectProblem(verdict, 'certificate', 'fail');
    expect(verdict.summary).toContain('is for CN=localhost');
  });

  it('does not accept a wildcard for the domain one level up', () => {
    const verdict = checkCertificate(domain, presented(certificate({ dnsNames: ['*.com'] })), now);
    expectProblem(verdict, 'certificate', 'fail');
  });

  it('fails for an untrusted certificate, giving the trust error', () => {
    const verdict = checkCertificate(
      domain,
      presented(
        certificate({ issuer: '(STAGING) Ersatz Edamame E1' }),
        false,
        'unable to get local issuer certificate',
      ),
      now,
    );
    expectProblem(verdict, 'certificate', 'fail');
    expect(verdict.summary).toContain('does not chain to a trusted root');
    expect(verdict.summary).toContain('unable to get local issuer certificate');
  });

  it('fails when no certificate could be read, naming the error', () => {
    const verdict = checkCertificate(domain, failed('connect ETIMEDOUT 203.0.113.10:443'), now);
    expectProblem(verdict, 'certificate', 'fail');
    expect(verdict.summary).toBe(
      'No certificate could be read from mta-sts.example.com:443: connect ETIMEDOUT 203.0.113.10:443.',
    );
  });
});

describe('checkPolicyRecord', () => {
  const SERVED_ID = '57c0b2e9044f1929fd313349db8c6c5d';

  it('passes when the single record announces the served id', () => {
    const verdict = checkPolicyRecord(domain, ok(['v=spf1 -all', `v=STSv1; id=${SERVED_ID}`]), SERVED_ID);
    expectPass(verdict, 'policy-record');
    expect(verdict.summary).toContain(SERVED_ID);
  });

  it('fails when there is no record, and the remedy gives the record to publish', () => {
    const verdict = checkPolicyRecord(domain, ok([]), SERVED_ID);
    expectProblem(verdict, 'policy-record', 'fail');
    expect(verdict.summary).toBe('_mta-sts.example.com: no TXT record starting with v=STSv1.');
    expect(verdict.remedy).toContain(`"v=STSv1; id=${SERVED_ID}"`);
  });

  it('fails for two v=STSv1 records, saying senders ignore all of them', () => {
    const verdict = checkPolicyRecord(domain, ok(['v=STSv1; id=old1', `v=STSv1; id=${SERVED_ID}`]), SERVED_ID);
    expectProblem(verdict, 'policy-record', 'fail');
    expect(verdict.summary).toContain('senders then ignore all of them');
    expect(verdict.detail).toContain('"v=STSv1; id=old1"');
    expect(verdict.remedy).toContain('delete any other v=STSv1 record');
  });

  it('fails for a stale id, naming the stale id and the served id', () => {
    const verdict = checkPolicyRecord(domain, ok(['v=STSv1; id=20250101T000000']), SERVED_ID);
    expectProblem(verdict, 'policy-record', 'fail');
    expect(verdict.summary).toBe(
      `_mta-sts.example.com announces id 20250101T000000, but the served policy has id ${SERVED_ID}.`,
    );
    expect(verdict.remedy).toContain(`"v=STSv1; id=${SERVED_ID}"`);
  });

  it('fails when the look-up fails, naming the error', () => {
    const verdict = checkPolicyRecord(domain, failed('queryTxt ESERVFAIL'), SERVED_ID);
    expectProblem(verdict, 'policy-record', 'fail');
    expect(verdict.summary).toBe('The TXT look-up of _mta-sts.example.com failed: queryTxt ESERVFAIL.');
  });

  it('fails for a malformed record, naming the bad id', () => {
    const verdict = checkPolicyRecord(domain, ok(['v=STSv1; id=2026-11-22']), SERVED_ID);
    expectProblem(verdict, 'policy-record', 'fail');
    expect(verdict.summary).toContain('the id "2026-11-22" is not 1 to 32 letters and digits');
  });

  it('fails for a record without an id', () => {
    const verdict = checkPolicyRecord(domain, ok(['v=STSv1;']), SERVED_ID);
    expectProblem(verdict, 'policy-record', 'fail');
    expect(verdict.summary).toContain('not of the form v=STSv1; id=<id>');
  });
});

describe('checkTlsRpt', () => {
  const RUA = 'mailto:tls-reports@example.com';

  it('passes when the record sends reports to the expected address', () => {
    const verdict = checkTlsRpt(domain, ok([`v=TLSRPTv1; rua=${RUA}`]), RUA);
    expectPass(verdict, 'tls-rpt');
    expect(verdict.summary).toBe(`TLS reports go to ${RUA}.`);
  });

  it('passes when the addresses differ only in case', () => {
    const verdict = checkTlsRpt(domain, ok(['v=TLSRPTv1; rua=MAILTO:TLS-Reports@Example.COM']), RUA);
    expectPass(verdict, 'tls-rpt');
  });

  it('passes for the same list of addresses written with different spacing', () => {
    const verdict = checkTlsRpt(
      domain,
      ok(['v=TLSRPTv1;rua=mailto:a@example.com,https://reports.example.net/tlsrpt']),
      'mailto:a@example.com, https://reports.example.net/tlsrpt',
    );
    expectPass(verdict, 'tls-rpt');
  });

  it('warns when there is no record, and the remedy gives the record to publish', () => {
    const verdict = checkTlsRpt(domain, ok(['v=spf1 -all']), RUA);
    expectProblem(verdict, 'tls-rpt', 'warn');
    expect(verdict.summary).toContain('_smtp._tls.example.com: no TXT record starting with v=TLSRPTv1');
    expect(verdict.remedy).toContain(`"v=TLSRPTv1; rua=${RUA}"`);
  });

  it('warns when reports go elsewhere, naming the address seen and the expected one', () => {
    const verdict = checkTlsRpt(domain, ok(['v=TLSRPTv1; rua=mailto:postmaster@example.org']), RUA);
    expectProblem(verdict, 'tls-rpt', 'warn');
    expect(verdict.summary).toBe(
      `_smtp._tls.example.com sends reports to mailto:postmaster@example.org, not to ${RUA}.`,
    );
  });

  it('warns when the look-up fails, naming the error', () => {
    const verdict = checkTlsRpt(domain, failed('queryTxt ETIMEOUT'), RUA);
    expectProblem(verdict, 'tls-rpt', 'warn');
    expect(verdict.summary).toContain('queryTxt ETIMEOUT');
  });
});

describe('checkMxCoverage', () => {
  it('passes when every MX host matches a pattern, including through a wildcard', () => {
    const verdict = checkMxCoverage(
      domain,
      ok(['mx1.example.com', 'contoso-com.mail.protection.outlook.com']),
      ['*.mail.protection.outlook.com', 'mx1.example.com'],
      'enforce',
    );
    expectPass(verdict, 'mx-coverage');
  });

  it('warns in testing mode for an MX host the policy does not cover, naming it', () => {
    const verdict = checkMxCoverage(domain, ok(['mx1.example.com', 'mx2.example.com']), ['mx1.example.com'], 'testing');
    expectProblem(verdict, 'mx-coverage', 'warn');
    expect(verdict.summary).toBe('mx2.example.com is not covered by the policy.');
  });

  it('fails in enforce mode for an MX host the policy does not cover, naming it', () => {
    const verdict = checkMxCoverage(domain, ok(['mx1.example.com', 'mx2.example.com']), ['mx1.example.com'], 'enforce');
    expectProblem(verdict, 'mx-coverage', 'fail');
    expect(verdict.summary).toContain('mx2.example.com is not covered by the policy');
    expect(verdict.summary).toContain('will not deliver');
  });

  it('names every uncovered host', () => {
    const verdict = checkMxCoverage(domain, ok(['a.b.example.com', 'mx9.example.org']), ['*.example.com'], 'testing');
    expectProblem(verdict, 'mx-coverage', 'warn');
    expect(verdict.summary).toBe('a.b.example.com, mx9.example.org are not covered by the policy.');
  });

  it('warns when the MX look-up fails, naming the error', () => {
    const verdict = checkMxCoverage(domain, failed('queryMx ESERVFAIL'), ['mx1.example.com'], 'enforce');
    expectProblem(verdict, 'mx-coverage', 'warn');
    expect(verdict.summary).toBe('The MX look-up of example.com failed: queryMx ESERVFAIL.');
  });
});

describe('domainBadge', () => {
  const enabledAt = new Date('2026-06-01T00:00:00Z');
  const within = new Date(enabledAt.getTime() + 47 * HOUR);
  const after = new Date(enabledAt.getTime() + 49 * HOUR);

  const result = (check: CheckId, status: CheckStatus) => ({ check, status });
  const allPass = (['dns', 'https', 'certificate', 'policy-record', 'tls-rpt', 'mx-coverage'] as const).map((check) =>
    result(check, 'pass'),
  );
  const dnsVisibilityFails = [
    result('dns', 'fail'),
    result('policy-record', 'fail'),
    result('tls-rpt', 'fail'),
    result('https', 'pass'),
  ];

  it('is inactive for an inactive domain, whatever the results', () => {
    expect(domainBadge('inactive', [result('https', 'fail')], enabledAt, within)).toBe('inactive');
  });

  it('is error for a domain whose provisioning failed, even with passing checks', () => {
    expect(domainBadge('error', allPass, enabledAt, within)).toBe('error');
  });

  it('is verifying while provisioning', () => {
    expect(domainBadge('provisioning', [], enabledAt, within)).toBe('verifying');
  });

  it('is active for an active domain with no failing check', () => {
    expect(domainBadge('active', allPass, enabledAt, after)).toBe('active');
    expect(domainBadge('active', [], enabledAt, after)).toBe('active');
  });

  it('is verifying when only DNS-visibility checks fail within 48 hours of Enable', () => {
    expect(domainBadge('active', dnsVisibilityFails, enabledAt, within)).toBe('verifying');
  });

  it('is error when only DNS-visibility checks fail more than 48 hours after Enable', () => {
    expect(domainBadge('active', dnsVisibilityFails, enabledAt, after)).toBe('error');
  });

  it('is error when DNS-visibility checks fail exactly 48 hours after Enable', () => {
    expect(domainBadge('active', dnsVisibilityFails, enabledAt, new Date(enabledAt.getTime() + 48 * HOUR))).toBe(
      'error',
    );
  });

  it('is error when DNS-visibility checks fail and the enable time is unknown', () => {
    expect(domainBadge('active', dnsVisibilityFails, null, within)).toBe('error');
  });

  it('is error when the https check fails, even within the grace period', () => {
    expect(domainBadge('active', [result('dns', 'fail'), result('https', 'fail')], enabledAt, within)).toBe('error');
  });

  it('is active when checks only warn', () => {
    const warns = [result('tls-rpt', 'warn'), result('mx-coverage', 'warn'), result('certificate', 'warn')];
    expect(domainBadge('active', warns, enabledAt, after)).toBe('active');
  });
});
