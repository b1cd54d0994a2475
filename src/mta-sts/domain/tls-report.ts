/**
 * Reading an SMTP TLS report (RFC 8460 §4) as senders really write them: Microsoft's
 * datetimes without a time zone, `mx-host` as a string or a list, optional fields missing,
 * several policies per report. Anything else is rejected with the reason, never guessed.
 */

import { utcDay } from './report-summary';

export const RESULT_TYPES = [
  'starttls-not-supported',
  'certificate-host-mismatch',
  'certificate-expired',
  'certificate-not-trusted',
  'validation-failure',
  'tlsa-invalid',
  'dnssec-invalid',
  'dane-required',
  'sts-policy-fetch-error',
  'sts-policy-invalid',
  'sts-webpki-invalid',
] as const;

/** Limits on what one report may hold; more is refused, not truncated. */
export const REPORT_LIMITS = { policies: 1_000, failureDetails: 10_000, text: 1_000 } as const;

export interface FailureDetail {
  readonly resultType: string;
  readonly sendingMtaIp: string | null;
  readonly receivingMxHostname: string | null;
  readonly receivingIp: string | null;
  readonly failedSessionCount: number;
  readonly additionalInformation: string | null;
  readonly failureReasonCode: string | null;
}

export interface ReportPolicy {
  readonly policyType: 'sts' | 'tlsa' | 'no-policy-found';
  readonly policyDomain: string;
  readonly policyString: readonly string[];
  readonly mxHosts: readonly string[];
  readonly successfulSessions: number;
  readonly failedSessions: number;
  readonly failureDetails: readonly FailureDetail[];
}

export interface TlsReport {
  readonly organizationName: string;
  readonly reportId: string;
  readonly contactInfo: string | null;
  readonly start: Date;
  readonly end: Date;
  readonly policies: readonly ReportPolicy[];
}

export type ReportReading = { readonly report: TlsReport } | { readonly rejected: string };

class Rejected extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function text(value: unknown, field: string, required: true): string;
function text(value: unknown, field: string, required: false): string | null;
function text(value: unknown, field: string, required: boolean): string | null {
  if (value === undefined || value === null || value === '') {
    if (required) throw new Rejected(`${field} is missing`);
    return null;
  }
  if (typeof value !== 'string') throw new Rejected(`${field} is not a string`);
  if (value.length > REPORT_LIMITS.text) throw new Rejected(`${field} is longer than ${REPORT_LIMITS.text} characters`);
  return value;
}

function count(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Rejected(`${field} is not a whole number of sessions`);
  }
  return value;
}

/** RFC 3339 datetimes; Microsoft leaves out the zone, which means UTC there. */
function datetime(value: unknown, field: string): Date {
  const raw = text(value, field, true);
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? raw : `${raw}Z`;
  const at = new Date(zoned);
  const parts = /^(\d{4})-(\d\d)-(\d\d)[T ]\d\d:\d\d/.exec(raw);
  // Date rolls 30 February over into March; a calendar date must exist as written.
  const exists =
    parts !== null &&
    new Date(Date.UTC(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3]))).getUTCDate() === Number(parts[3]);
  if (!exists || Number.isNaN(at.getTime())) throw new Rejected(`${field} is not a date and time`);
  return at;
}

function list(value: unknown, field: string, limit: number): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Rejected(`${field} is not a list`);
  if (value.length > limit) throw new Rejected(`${field} has more than ${limit} entries`);
  return value;
}

function hostName(value: string): string {
  return value.trim().replace(/\.$/, '').toLowerCase();
}

function failureDetail(value: unknown, at: string): FailureDetail {
  if (!isObject(value)) throw new Rejected(`${at} is not an object`);
  return {
    resultType: text(value['result-type'], `${at}.result-type`, true),
    sendingMtaIp: text(value['sending-mta-ip'], `${at}.sending-mta-ip`, false),
    receivingMxHostname: (() => {
      const name = text(value['receiving-mx-hostname'], `${at}.receiving-mx-hostname`, false);
      return name && hostName(name);
    })(),
    receivingIp: text(value['receiving-ip'], `${at}.receiving-ip`, false),
    failedSessionCount: count(value['failed-session-count'], `${at}.failed-session-count`),
    additionalInformation: text(value['additional-information'], `${at}.additional-information`, false),
    failureReasonCode: text(value['failure-reason-code'], `${at}.failure-reason-code`, false),
  };
}

function policy(value: unknown, at: string): ReportPolicy {
  if (!isObject(value)) throw new Rejected(`${at} is not an object`);
  const described = value.policy;
  if (!isObject(described)) throw new Rejected(`${at}.policy is missing`);
  const type = text(described['policy-type'], `${at}.policy.policy-type`, true);
  if (type !== 'sts' && type !== 'tlsa' && type !== 'no-policy-found') {
    throw new Rejected(`${at}.policy.policy-type "${type}" is not sts, tlsa or no-policy-found`);
  }
  const rawMx = described['mx-host'];
  const mxHosts = (typeof rawMx === 'string' ? [rawMx] : list(rawMx, `${at}.policy.mx-host`, 100)).map((host, index) =>
    hostName(text(host, `${at}.policy.mx-host[${index}]`, true)),
  );
  const summary = value.summary;
  if (!isObject(summary)) throw new Rejected(`${at}.summary is missing`);
  return {
    policyType: type,
    policyDomain: hostName(text(described['policy-domain'], `${at}.policy.policy-domain`, true)),
    policyString: list(described['policy-string'], `${at}.policy.policy-string`, 100).map((line, index) =>
      text(line, `${at}.policy.policy-string[${index}]`, true),
    ),
    mxHosts,
    successfulSessions: count(
      summary['total-successful-session-count'],
      `${at}.summary.total-successful-session-count`,
    ),
    failedSessions: count(summary['total-failure-session-count'], `${at}.summary.total-failure-session-count`),
    failureDetails: list(value['failure-details'], `${at}.failure-details`, REPORT_LIMITS.failureDetails).map(
      (detail, index) => failureDetail(detail, `${at}.failure-details[${index}]`),
    ),
  };
}

/** A parsed report, or why it was rejected (the reason names the field). */
export function readTlsReport(json: unknown): ReportReading {
  try {
    if (!isObject(json)) throw new Rejected('the report is not a JSON object');
    const range = json['date-range'];
    if (!isObject(range)) throw new Rejected('date-range is missing');
    const start = datetime(range['start-datetime'], 'date-range.start-datetime');
    const end = datetime(range['end-datetime'], 'date-range.end-datetime');
    if (end.getTime() < start.getTime()) throw new Rejected('date-range ends before it starts');
    const policies = list(json.policies, 'policies', REPORT_LIMITS.policies).map((entry, index) =>
      policy(entry, `policies[${index}]`),
    );
    if (policies.length === 0) throw new Rejected('policies is empty');
    return {
      report: {
        organizationName: text(json['organization-name'], 'organization-name', true),
        reportId: text(json['report-id'], 'report-id', true),
        contactInfo: text(json['contact-info'], 'contact-info', false),
        start,
        end,
        policies,
      },
    };
  } catch (error) {
    if (error instanceof Rejected) return { rejected: error.message };
    throw error;
  }
}

/** Sessions of one domain, day, reporter, policy type, result and MX host. */
export interface DailySessions {
  readonly domain: string;
  readonly day: string;
  readonly organization: string;
  readonly policyType: string;
  /** `success`, or a failure's result type. */
  readonly result: string;
  readonly mxHost: string;
  readonly sessions: number;
}

export interface FailureExample {
  readonly domain: string;
  readonly day: string;
  readonly organization: string;
  readonly result: string;
  readonly sendingMtaIp: string | null;
  readonly receivingMxHostname: string | null;
  readonly receivingIp: string | null;
  readonly failedSessions: number;
  readonly additionalInformation: string | null;
  readonly failureReasonCode: string | null;
}

/** What a report adds for the domains this panel serves; policies for other domains are counted, not kept. */
export interface ReportRows {
  readonly domains: readonly string[];
  readonly daily: readonly DailySessions[];
  readonly failures: readonly FailureExample[];
  readonly ignoredPolicies: number;
}

/**
 * The rows a report adds. Successful sessions are counted per MX host when the policy
 * names one (the first), failures per result type and the MX host that failed.
 */
export function reportRows(report: TlsReport, serves: (domain: string) => boolean): ReportRows {
  const day = utcDay(report.start);
  const sums = new Map<string, DailySessions>();
  const add = (row: DailySessions) => {
    if (row.sessions === 0) return;
    const key = [row.domain, row.policyType, row.result, row.mxHost].join('\u0000');
    const found = sums.get(key);
    sums.set(key, found ? { ...found, sessions: found.sessions + row.sessions } : row);
  };
  const failures: FailureExample[] = [];
  const domains = new Set<string>();
  let ignoredPolicies = 0;
  for (const policy of report.policies) {
    if (!serves(policy.policyDomain)) {
      ignoredPolicies++;
      continue;
    }
    domains.add(policy.policyDomain);
    const base = {
      domain: policy.policyDomain,
      day,
      organization: report.organizationName,
      policyType: policy.policyType,
    };
    add({ ...base, result: 'success', mxHost: policy.mxHosts[0] ?? '', sessions: policy.successfulSessions });
    const detailed = policy.failureDetails.reduce((sum, detail) => sum + detail.failedSessionCount, 0);
    for (const detail of policy.failureDetails) {
      add({
        ...base,
        result: detail.resultType,
        mxHost: detail.receivingMxHostname ?? '',
        sessions: detail.failedSessionCount,
      });
      failures.push({
        domain: policy.policyDomain,
        day,
        organization: report.organizationName,
        result: detail.resultType,
        sendingMtaIp: detail.sendingMtaIp,
        receivingMxHostname: detail.receivingMxHostname,
        receivingIp: detail.receivingIp,
        failedSessions: detail.failedSessionCount,
        additionalInformation: detail.additionalInformation,
        failureReasonCode: detail.failureReasonCode,
      });
    }
    // Failures the summary counts but no detail explains.
    add({
      ...base,
      result: 'unexplained-failure',
      mxHost: '',
      sessions: Math.max(0, policy.failedSessions - detailed),
    });
  }
  return { domains: [...domains].sort(), daily: [...sums.values()], failures, ignoredPolicies };
}
