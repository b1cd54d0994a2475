/**
 * The TXT records senders read: `_mta-sts` (RFC 8461 §3.1) and `_smtp._tls` (RFC 8460 §3).
 */

export interface StsRecordReading {
  /** Every TXT value at `_mta-sts.<domain>` that starts with `v=STSv1` (senders ignore the rest). */
  readonly candidates: readonly string[];
  /** The id of the single valid record, when there is exactly one and it parses. */
  readonly id?: string;
  readonly problem?: string;
}

/** `key=value` fields separated by `;` with optional spaces, as both RFCs define them. */
function fields(record: string): Map<string, string> | undefined {
  const result = new Map<string, string>();
  for (const part of record.split(';')) {
    const field = part.trim();
    if (field === '') continue;
    const at = field.indexOf('=');
    if (at <= 0) return undefined;
    result.set(field.slice(0, at).trim(), field.slice(at + 1).trim());
  }
  return result;
}

export function readStsRecords(values: readonly string[]): StsRecordReading {
  // §3.1: records that do not begin with "v=STSv1;" are discarded.
  const candidates = values.filter((value) => /^v=STSv1\s*(;|$)/.test(value));
  if (candidates.length === 0) return { candidates, problem: 'no TXT record starting with v=STSv1' };
  if (candidates.length > 1) {
    return {
      candidates,
      problem: `${candidates.length} TXT records start with v=STSv1, and senders then ignore all of them`,
    };
  }
  const parsed = fields(candidates[0]);
  const id = parsed?.get('id');
  if (!parsed || parsed.get('v') !== 'STSv1' || id === undefined) {
    return { candidates, problem: 'the record is not of the form v=STSv1; id=<id>' };
  }
  if (!/^[A-Za-z0-9]{1,32}$/.test(id))
    return { candidates, problem: `the id "${id}" is not 1 to 32 letters and digits` };
  return { candidates, id };
}

export interface TlsRptReading {
  readonly candidates: readonly string[];
  readonly rua?: readonly string[];
  readonly problem?: string;
}

export function readTlsRptRecords(values: readonly string[]): TlsRptReading {
  const candidates = values.filter((value) => /^v=TLSRPTv1\s*(;|$)/.test(value));
  if (candidates.length === 0) return { candidates, problem: 'no TXT record starting with v=TLSRPTv1' };
  if (candidates.length > 1)
    return { candidates, problem: `${candidates.length} TLS-RPT records; senders use none of them` };
  const parsed = fields(candidates[0]);
  const rua = parsed
    ?.get('rua')
    ?.split(',')
    .map((uri) => uri.trim())
    .filter(Boolean);
  if (!rua || rua.length === 0) return { candidates, problem: 'the record has no rua= address' };
  const bad = rua.find((uri) => !/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/i.test(uri));
  if (bad) return { candidates, problem: `rua "${bad}" is not a mailto: or https: URI` };
  return { candidates, rua };
}
