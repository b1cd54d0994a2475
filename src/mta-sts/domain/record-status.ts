import { CheckResult } from './checks';
import { DnsRecord } from './dns-records';

/**
 * Whether each record the admin should publish is visible in DNS, from the last check run:
 * Live (exactly as expected), Mismatch (something else is there: `found` says what), Not
 * published (nothing of that kind), Look-up failed (the check ran, DNS gave no answer), or
 * Unknown (not checked yet).
 */
export type RecordVisibility = 'live' | 'mismatch' | 'not-published' | 'lookup-failed' | 'unknown';

export interface RecordStatus extends DnsRecord {
  readonly visibility: RecordVisibility;
  /** What DNS has instead, when it differs. */
  readonly found?: string;
}

/** TXT values compare by their fields, as senders parse them (spaces around `;` do not matter). */
function sameTxt(a: string, b: string): boolean {
  const fields = (value: string) =>
    value
      .split(';')
      .map((field) => field.trim())
      .filter(Boolean)
      .join(';');
  return fields(a) === fields(b);
}

export function recordStatuses(
  records: readonly DnsRecord[],
  checks: readonly Pick<CheckResult, 'check' | 'observed'>[],
): RecordStatus[] {
  const observed = (check: string, type: string) => checks.find((result) => result.check === check)?.observed?.[type];
  const ran = (check: string) => checks.some((result) => result.check === check);
  const missing = (check: string): RecordStatus['visibility'] => (ran(check) ? 'lookup-failed' : 'unknown');
  return records.map((record) => {
    if (record.type === 'CNAME') {
      // Delegated hosting: the customer's two aliases, as the checks saw them.
      const check = record.name.startsWith('_mta-sts.') ? 'policy-record' : 'dns';
      const seen = observed(check, 'CNAME');
      if (!ran(check)) return { ...record, visibility: 'unknown' };
      if (!seen || seen.length === 0) return { ...record, visibility: 'not-published' };
      const same = seen[0].replace(/\.$/, '').toLowerCase() === record.value.toLowerCase();
      return same ? { ...record, visibility: 'live' } : { ...record, visibility: 'mismatch', found: seen.join(', ') };
    }
    if (record.type === 'A' || record.type === 'AAAA') {
      const seen = observed('dns', record.type);
      if (!seen) return { ...record, visibility: missing('dns') };
      if (seen.length === 0) return { ...record, visibility: 'not-published' };
      if (seen.length === 1 && seen[0] === record.value) return { ...record, visibility: 'live' };
      return { ...record, visibility: 'mismatch', found: seen.join(', ') };
    }
    const isPolicy = record.name.startsWith('_mta-sts.');
    const seen = observed(isPolicy ? 'policy-record' : 'tls-rpt', 'TXT');
    if (!seen) return { ...record, visibility: missing(isPolicy ? 'policy-record' : 'tls-rpt') };
    const prefix = isPolicy ? /^v=STSv1\s*(;|$)/ : /^v=TLSRPTv1\s*(;|$)/;
    const candidates = seen.filter((value) => prefix.test(value));
    if (candidates.length === 0) return { ...record, visibility: 'not-published' };
    if (candidates.length === 1 && sameTxt(candidates[0], record.value)) return { ...record, visibility: 'live' };
    return { ...record, visibility: 'mismatch', found: candidates.map((value) => `"${value}"`).join(', ') };
  });
}
