import { gzipSync } from 'node:zlib';
import {
  DECODE_LIMITS,
  decodeReportBody,
  reportMediaType,
} from '../../src/mta-sts/adapters/tls-reports/report-decoder';
import { REPORT_LIMITS, readTlsReport } from '../../src/mta-sts/domain/tls-report';

/** A report as Google sends them (RFC 8460 §4.4), one sts policy with a failure. */
function report(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'organization-name': 'Google Inc.',
    'date-range': { 'start-datetime': '2026-11-25T00:00:00Z', 'end-datetime': '2026-11-25T23:59:59Z' },
    'contact-info': 'smtp-tls-reporting@google.com',
    'report-id': '2026-11-25T00:00:00Z_example.com',
    policies: [
      {
        policy: {
          'policy-type': 'sts',
          'policy-string': ['version: STSv1', 'mode: testing', 'mx: mx.example.com', 'max_age: 604800'],
          'policy-domain': 'example.com',
          'mx-host': ['mx.example.com'],
        },
        summary: { 'total-successful-session-count': 120, 'total-failure-session-count': 2 },
        'failure-details': [
          {
            'result-type': 'certificate-expired',
            'sending-mta-ip': '209.85.220.41',
            'receiving-mx-hostname': 'MX.Example.com.',
            'receiving-ip': '192.0.2.25',
            'failed-session-count': 2,
          },
        ],
      },
    ],
    ...overrides,
  };
}

const policyWith = (policy: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({
  policies: [{ policy: { 'policy-type': 'sts', 'policy-domain': 'example.com', ...policy }, summary: {}, ...rest }],
});

describe('Reading a TLS report', () => {
  it('reads a report as Google sends it', () => {
    const reading = readTlsReport(report());
    expect(reading).toEqual({
      report: {
        organizationName: 'Google Inc.',
        reportId: '2026-11-25T00:00:00Z_example.com',
        contactInfo: 'smtp-tls-reporting@google.com',
        start: new Date('2026-11-25T00:00:00Z'),
        end: new Date('2026-11-25T23:59:59Z'),
        policies: [
          {
            policyType: 'sts',
            policyDomain: 'example.com',
            policyString: ['version: STSv1', 'mode: testing', 'mx: mx.example.com', 'max_age: 604800'],
            mxHosts: ['mx.example.com'],
            successfulSessions: 120,
            failedSessions: 2,
            failureDetails: [
              {
                resultType: 'certificate-expired',
                sendingMtaIp: '209.85.220.41',
                receivingMxHostname: 'mx.example.com',
                receivingIp: '192.0.2.25',
                failedSessionCount: 2,
                additionalInformation: null,
                failureReasonCode: null,
              },
            ],
          },
        ],
      },
    });
  });

  it('reads what real senders vary: datetimes without a zone, mx-host as a string, missing optional fields, several policies', () => {
    const reading = readTlsReport({
      'organization-name': 'Microsoft Corporation',
      'date-range': { 'start-datetime': '2026-11-25T00:00:00', 'end-datetime': '2026-11-25T23:59:59' },
      'report-id': '133456789012345678+example.com',
      policies: [
        {
          policy: { 'policy-type': 'sts', 'policy-domain': 'example.com', 'mx-host': 'mx.example.com' },
          summary: { 'total-successful-session-count': 5 },
        },
        {
          policy: { 'policy-type': 'no-policy-found', 'policy-domain': 'example.com' },
          summary: { 'total-failure-session-count': 1 },
        },
      ],
    });
    expect('report' in reading).toBe(true);
    if (!('report' in reading)) return;
    expect(reading.report.start).toEqual(new Date('2026-11-25T00:00:00Z'));
    expect(reading.report.contactInfo).toBeNull();
    expect(
      reading.report.policies.map((p) => [p.policyType, p.mxHosts, p.successfulSessions, p.failedSessions]),
    ).toEqual([
      ['sts', ['mx.example.com'], 5, 0],
      ['no-policy-found', [], 0, 1],
    ]);
  });

  const rejected: Array<[string, unknown, string]> = [
    ['not an object', [], 'the report is not a JSON object'],
    ['null', null, 'the report is not a JSON object'],
    ['a string', 'report', 'the report is not a JSON object'],
    ['no organization', report({ 'organization-name': undefined }), 'organization-name is missing'],
    ['an organization that is a number', report({ 'organization-name': 7 }), 'organization-name is not a string'],
    [
      'an organization name of a megabyte',
      report({ 'organization-name': 'x'.repeat(1_000_000) }),
      'organization-name is longer than 1000 characters',
    ],
    ['no report id', report({ 'report-id': '' }), 'report-id is missing'],
    ['no date range', report({ 'date-range': undefined }), 'date-range is missing'],
    [
      'a date that is not one',
      report({ 'date-range': { 'start-datetime': 'yesterday', 'end-datetime': '2026-11-25T23:59:59Z' } }),
      'date-range.start-datetime is not a date and time',
    ],
    [
      'a date of February 30th',
      report({ 'date-range': { 'start-datetime': '2026-02-30T00:00:00Z', 'end-datetime': '2026-03-01T00:00:00Z' } }),
      'date-range.start-datetime is not a date and time',
    ],
    [
      'a range that ends before it starts',
      report({ 'date-range': { 'start-datetime': '2026-11-26T00:00:00Z', 'end-datetime': '2026-11-25T00:00:00Z' } }),
      'date-range ends before it starts',
    ],
    ['no policies', report({ policies: [] }), 'policies is empty'],
    ['policies as an object', report({ policies: {} }), 'policies is not a list'],
    [
      'too many policies',
      report({ policies: Array(REPORT_LIMITS.policies + 1).fill({}) }),
      'policies has more than 1000 entries',
    ],
    ['a policy that is a string', report({ policies: ['sts'] }), 'policies[0] is not an object'],
    ['a policy without its description', report({ policies: [{ summary: {} }] }), 'policies[0].policy is missing'],
    [
      'an unknown policy type',
      report(policyWith({ 'policy-type': 'dane' })),
      'policies[0].policy.policy-type "dane" is not sts, tlsa or no-policy-found',
    ],
    [
      'no policy domain',
      report(policyWith({ 'policy-domain': undefined })),
      'policies[0].policy.policy-domain is missing',
    ],
    [
      'an mx-host list of numbers',
      report(policyWith({ 'mx-host': [25] })),
      'policies[0].policy.mx-host[0] is not a string',
    ],
    [
      'an mx-host that is an object',
      report(policyWith({ 'mx-host': { host: 'mx' } })),
      'policies[0].policy.mx-host is not a list',
    ],
    [
      'no summary',
      report({ policies: [{ policy: { 'policy-type': 'sts', 'policy-domain': 'example.com' } }] }),
      'policies[0].summary is missing',
    ],
    [
      'a negative count',
      report(policyWith({}, { summary: { 'total-successful-session-count': -1 } })),
      'policies[0].summary.total-successful-session-count is not a whole number of sessions',
    ],
    [
      'a fractional count',
      report(policyWith({}, { summary: { 'total-failure-session-count': 1.5 } })),
      'policies[0].summary.total-failure-session-count is not a whole number of sessions',
    ],
    [
      'a count as a string',
      report(policyWith({}, { summary: { 'total-failure-session-count': '3' } })),
      'policies[0].summary.total-failure-session-count is not a whole number of sessions',
    ],
    [
      'a count beyond safe integers',
      report(policyWith({}, { summary: { 'total-failure-session-count': 2 ** 60 } })),
      'policies[0].summary.total-failure-session-count is not a whole number of sessions',
    ],
    [
      'failure details as an object',
      report(policyWith({}, { 'failure-details': {} })),
      'policies[0].failure-details is not a list',
    ],
    [
      'too many failure details',
      report(policyWith({}, { 'failure-details': Array(REPORT_LIMITS.failureDetails + 1).fill({}) })),
      'policies[0].failure-details has more than 10000 entries',
    ],
    [
      'a failure detail without its type',
      report(policyWith({}, { 'failure-details': [{ 'failed-session-count': 1 }] })),
      'policies[0].failure-details[0].result-type is missing',
    ],
    [
      'a failure detail that is a number',
      report(policyWith({}, { 'failure-details': [3] })),
      'policies[0].failure-details[0] is not an object',
    ],
  ];

  it.each(rejected)('rejects %s, naming the field', (_name, json, reason) => {
    expect(readTlsReport(json)).toEqual({ rejected: reason });
  });

  it('keeps __proto__ and constructor keys as plain data', () => {
    const json = JSON.parse(
      JSON.stringify(report()).replace(
        '{"organization-name"',
        '{"__proto__":{"polluted":true},"constructor":1,"organization-name"',
      ),
    );
    expect('report' in readTlsReport(json)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('Decoding a report body', () => {
  const json = Buffer.from(JSON.stringify(report()));

  it('takes application/tlsrpt+gzip and +json, and the file names of report mail', () => {
    expect(reportMediaType('application/tlsrpt+gzip')).toBe('gzip');
    expect(reportMediaType('Application/TLSRPT+JSON; charset=utf-8')).toBe('json');
    expect(reportMediaType('application/octet-stream', 'google.com!example.com!1764028800!1764115199.json.gz')).toBe(
      'gzip',
    );
    expect(reportMediaType('text/plain')).toBeUndefined();
    expect(decodeReportBody(gzipSync(json), 'gzip')).toEqual({ json: report() });
    expect(decodeReportBody(json, 'json')).toEqual({ json: report() });
  });

  const refused: Array<[string, () => Buffer, 'gzip' | 'json' | undefined, RegExp]> = [
    ['a wrong content type', () => json, undefined, /^not a TLS report: the media type/],
    ['an empty body', () => Buffer.alloc(0), 'gzip', /^the body is empty$/],
    ['bytes that are not gzip', () => Buffer.from('not gzip at all'), 'gzip', /^the body is not valid gzip/],
    ['truncated gzip', () => gzipSync(json).subarray(0, 40), 'gzip', /^the body is not valid gzip/],
    [
      'a gzip bomb',
      () => gzipSync(Buffer.alloc(DECODE_LIMITS.jsonBytes + 1, 0x20)),
      'gzip',
      /decompresses to more than 8388608 bytes; it was not inflated further$/,
    ],
    [
      'an oversize compressed body',
      () => Buffer.alloc(DECODE_LIMITS.compressedBytes + 1),
      'gzip',
      /^the compressed report is larger than 1048576 bytes$/,
    ],
    [
      'an oversize JSON body',
      () => Buffer.alloc(DECODE_LIMITS.jsonBytes + 1, 0x20),
      'json',
      /^the report is larger than 8388608 bytes$/,
    ],
    ['truncated JSON', () => json.subarray(0, json.length - 10), 'json', /^the report is not valid JSON/],
    [
      'invalid UTF-8',
      () => Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      'json',
      /^the report is not valid UTF-8$/,
    ],
  ];

  it.each(refused)('refuses %s with the reason', (_name, body, kind, reason) => {
    const decoded = decodeReportBody(body(), kind);
    expect('rejected' in decoded && decoded.rejected).toMatch(reason);
  });

  it('parses JSON nested a million deep without harm, and the reader rejects it', () => {
    const decoded = decodeReportBody(Buffer.from('['.repeat(1_000_000) + ']'.repeat(1_000_000)), 'json');
    const reading = 'json' in decoded ? readTlsReport(decoded.json) : decoded;
    expect(reading).toEqual({ rejected: 'json' in decoded ? 'the report is not a JSON object' : expect.any(String) });
  });

  it('reads a byte-order mark as the start of the text, not of the JSON', () => {
    expect(decodeReportBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]), 'json')).toEqual({
      json: report(),
    });
  });
});
