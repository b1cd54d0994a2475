import { addressList, type DnsRecord } from './dns-records';
import { readStsRecords, readTlsRptRecords } from './txt-records';

/**
 * Publishing a domain's records into its zone: reconcile, never blindly write. A plan
 * reads what the zone's primary holds, writes only what is not there yet, touches no other
 * value at those names, and refuses where a name holds something the panel cannot have
 * written (a CNAME, a second `v=STSv1` record, another server's address).
 */

/** Record types the panel writes. */
export type PublishedType = 'TXT' | 'A' | 'AAAA' | 'CNAME';

/** One RRset: a name, a type, its values. */
export interface RRset {
  readonly name: string;
  readonly type: PublishedType;
  readonly values: readonly string[];
}

/** An RRset as the primary holds it; `cname` when the name is an alias instead. */
export interface LiveRRset extends RRset {
  readonly cname?: string;
}

/**
 * One update of a zone, applied whole or not at all (RFC 2136 §3): prerequisites (the
 * RRsets as read, or their absence), then the values to delete and to add.
 */
export interface ZoneUpdate {
  readonly exactly?: readonly RRset[];
  readonly absent?: readonly Pick<RRset, 'name' | 'type'>[];
  readonly remove?: readonly RRset[];
  readonly add?: readonly (RRset & { readonly ttl: number })[];
}

export type StepKind = 'add' | 'replace' | 'remove' | 'keep';

/** What a plan does at one name, as the card shows it before writing. */
export interface PublicationStep {
  readonly name: string;
  readonly type: PublishedType;
  readonly kind: StepKind;
  readonly from?: string;
  readonly to?: string;
  readonly note?: string;
}

export interface PublicationPlan {
  readonly steps: readonly PublicationStep[];
  /** Why nothing can be written, one sentence each; empty when the plan may run. */
  readonly refusals: readonly string[];
  readonly update: ZoneUpdate;
}

/** The live RRsets a plan needs: the TXT, A, AAAA of each wanted name (a lookup by name and type). */
export type LiveRecords = (name: string, type: PublishedType) => LiveRRset;

const empty = (update: ZoneUpdate) => !update.remove?.length && !update.add?.length;

/** Names and types a plan for these records reads. */
export function namesToRead(wanted: readonly Pick<DnsRecord, 'name' | 'type'>[]): Pick<RRset, 'name' | 'type'>[] {
  const seen = new Map<string, Pick<RRset, 'name' | 'type'>>();
  for (const record of wanted) seen.set(`${record.name}/${record.type}`, { name: record.name, type: record.type });
  return [...seen.values()];
}

/** The guard for writing at an RRset: exactly what was read, or its absence. */
function guard(live: LiveRRset): Pick<ZoneUpdate, 'exactly' | 'absent'> {
  return live.values.length
    ? { exactly: [{ name: live.name, type: live.type, values: live.values }] }
    : { absent: [{ name: live.name, type: live.type }] };
}

/**
 * Publishes `wanted` (from `expectedRecords`): the `_mta-sts` TXT with the served id, the
 * policy host's addresses, the TLS-RPT record. An existing TLS-RPT record is the admin's
 * choice of report address and stays.
 */
export function planPublication(wanted: readonly DnsRecord[], live: LiveRecords, ttl: number): PublicationPlan {
  const steps: PublicationStep[] = [];
  const refusals: string[] = [];
  const exactly: RRset[] = [];
  const absent: Pick<RRset, 'name' | 'type'>[] = [];
  const remove: RRset[] = [];
  const add: (RRset & { ttl: number })[] = [];
  const guarded = (rrset: LiveRRset) => {
    const g = guard(rrset);
    exactly.push(...(g.exactly ?? []));
    absent.push(...(g.absent ?? []));
  };
  for (const { name, type, values } of namesToRead(wanted).map((key) => ({
    ...key,
    values: wanted
      .filter((record) => record.name === key.name && record.type === key.type)
      .map((record) => record.value),
  }))) {
    const current = live(name, type);
    if (current.cname) {
      refusals.push(
        `${name} is a CNAME to ${current.cname}; delete it at your DNS provider (or delegate the name, RFC 8461 §8.2) before the panel can publish ${type} records there.`,
      );
      continue;
    }
    if (type === 'TXT' && values.some((value) => value.startsWith('v=STSv1'))) {
      const value = values[0];
      const sts = readStsRecords(current.values).candidates;
      if (sts.length > 1) {
        refusals.push(
          `${name} holds ${sts.length} v=STSv1 records (${sts.join(' | ')}), so senders ignore them all; delete all but one at your DNS provider and publish again.`,
        );
      } else if (sts[0] === value) {
        steps.push({ name, type, kind: 'keep', to: value });
      } else {
        guarded(current);
        if (sts[0]) remove.push({ name, type, values: [sts[0]] });
        add.push({ name, type, ttl, values: [value] });
        steps.push({ name, type, kind: sts[0] ? 'replace' : 'add', ...(sts[0] && { from: sts[0] }), to: value });
      }
      continue;
    }
    if (type === 'TXT') {
      const value = values[0];
      const existing = readTlsRptRecords(current.values).candidates;
      if (existing.length > 1) {
        refusals.push(
          `${name} holds ${existing.length} v=TLSRPTv1 records, so senders use none; delete all but one at your DNS provider and publish again.`,
        );
      } else if (existing.length === 1) {
        steps.push({
          name,
          type,
          kind: 'keep',
          to: existing[0],
          ...(existing[0] !== value && {
            note: 'An existing TLS-RPT record stays as it is: reports go where it says.',
          }),
        });
      } else {
        guarded(current);
        add.push({ name, type, ttl, values: [value] });
        steps.push({ name, type, kind: 'add', to: value });
      }
      continue;
    }
    // The policy host's addresses: this server's, and no other server's.
    const strangers = current.values.filter((value) => !values.includes(value));
    if (strangers.length > 0) {
      refusals.push(
        `${name} ${type} points at ${strangers.join(', ')}, not at this server (${values.join(', ')}); senders would fetch the policy elsewhere. Delete that record at your DNS provider, or correct the server's address in the panel's settings.`,
      );
    } else if (values.every((value) => current.values.includes(value))) {
      steps.push({ name, type, kind: 'keep', to: values.join(', ') });
    } else {
      guarded(current);
      add.push({ name, type, ttl, values });
      steps.push({ name, type, kind: 'add', to: values.join(', ') });
    }
  }
  const update: ZoneUpdate = { exactly, absent, remove, add };
  return { steps, refusals, update: refusals.length || empty(update) ? {} : update };
}

/**
 * Withdraws a domain's policy from DNS when its host is removed (retirement finished, or
 * Remove now): its `v=STSv1` record and this server's addresses at the policy host go;
 * the TLS-RPT record stays (reports stay useful without MTA-STS); other values stay.
 */
export function planWithdrawal(
  policyRecordName: string,
  host: {
    readonly name: string;
    readonly ipv4?: string | readonly string[] | null;
    readonly ipv6?: string | readonly string[] | null;
  },
  live: LiveRecords,
): PublicationPlan {
  const steps: PublicationStep[] = [];
  const exactly: RRset[] = [];
  const remove: RRset[] = [];
  const policy = live(policyRecordName, 'TXT');
  const sts = policy.cname ? [] : readStsRecords(policy.values).candidates;
  if (sts.length > 0) {
    exactly.push({ name: policy.name, type: 'TXT', values: policy.values });
    remove.push({ name: policy.name, type: 'TXT', values: sts });
    for (const value of sts) steps.push({ name: policy.name, type: 'TXT', kind: 'remove', from: value });
  }
  for (const [type, addresses] of [
    ['A', addressList(host.ipv4)],
    ['AAAA', addressList(host.ipv6)],
  ] as const) {
    const current = live(host.name, type);
    const present = addresses.filter((address) => current.values.includes(address));
    if (current.cname || present.length === 0) continue;
    exactly.push({ name: current.name, type, values: current.values });
    remove.push({ name: current.name, type, values: present });
    for (const address of present) steps.push({ name: current.name, type, kind: 'remove', from: address });
  }
  return { steps, refusals: [], update: remove.length ? { exactly, remove } : {} };
}

/** Waits before the next attempt after 1, 2, 3, 4 failed ones; then hourly. */
export const DNS_RETRY_DELAYS_MS = [60_000, 300_000, 900_000, 3_600_000] as const;

/** When to try writing the records again after `failures` failed attempts in a row. */
export function nextDnsAttemptAt(failures: number, now: Date): Date {
  const delay = DNS_RETRY_DELAYS_MS[Math.min(failures, DNS_RETRY_DELAYS_MS.length) - 1] ?? DNS_RETRY_DELAYS_MS[0];
  return new Date(now.getTime() + delay);
}

/** The checks that fail when DNS lacks a record the panel publishes. */
const RECORD_CHECKS: readonly string[] = ['dns', 'policy-record', 'tls-rpt'];

/**
 * Whether a check run calls for writing the records again, in a zone the panel writes: the
 * served id is not seen yet, or a record check fails (a record deleted or changed by
 * hand); never while the backoff after a failed attempt runs.
 */
export function needsPublishing(
  domain: { readonly policyVisibleAt: Date | null; readonly dnsNextAttemptAt: Date | null },
  results: readonly { readonly check: string; readonly status: string }[],
  now: Date,
): boolean {
  if (domain.dnsNextAttemptAt && domain.dnsNextAttemptAt.getTime() > now.getTime()) return false;
  return (
    !domain.policyVisibleAt ||
    results.some((result) => RECORD_CHECKS.includes(result.check) && result.status === 'fail')
  );
}
