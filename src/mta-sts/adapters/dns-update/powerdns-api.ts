import { DnsUpdateError } from '../../domain/errors';
import { queryRRset } from './dns-exchange';
import type { RRset, ZoneUpdate } from '../../domain/dns-publication';

/** A zone on PowerDNS Authoritative: its HTTP API, and its DNS port to read the records back. */
export interface PowerDnsTarget {
  /** `http://127.0.0.1:8081`, without `/api/v1`. */
  readonly apiUrl: string;
  readonly apiKey: string;
  /** PowerDNS's server id, `localhost` unless it was changed. */
  readonly serverId: string;
  readonly dns: { readonly host: string; readonly port: number };
  readonly timeoutMs: number;
}

const key = (rrset: Pick<RRset, 'name' | 'type'>) => `${rrset.name.toLowerCase()}/${rrset.type}`;

/** The record's content as PowerDNS's API spells it: TXT in DNS quotes, names with a trailing dot. */
function content(type: RRset['type'], value: string): string {
  if (type === 'TXT') {
    const bytes = Buffer.from(value, 'utf8');
    const parts: string[] = [];
    for (let offset = 0; offset < bytes.length; offset += 255) {
      parts.push(
        `"${bytes
          .subarray(offset, offset + 255)
          .toString('utf8')
          .replace(/["\\]/g, '\\$&')}"`,
      );
    }
    return parts.join(' ') || '""';
  }
  return type === 'CNAME' ? `${value.replace(/\.$/, '')}.` : value;
}

/**
 * Applies an update through PowerDNS's API (one PATCH of the zone's rrsets, which PowerDNS
 * applies in one transaction). The API has no prerequisites, so they are checked by
 * reading the records over DNS just before; each touched RRset is then replaced whole
 * with its new values, so values the panel did not write stay.
 */
export async function applyThroughPowerDns(
  target: PowerDnsTarget,
  zone: string,
  update: ZoneUpdate,
  ttl: number,
): Promise<void> {
  const dns = { ...target.dns, timeoutMs: target.timeoutMs };
  const touched = new Map<string, { name: string; type: RRset['type']; values: Set<string>; ttl: number }>();
  const current = async (rrset: Pick<RRset, 'name' | 'type'>) => {
    const found = touched.get(key(rrset));
    if (found) return found;
    const live = await queryRRset(dns, rrset.name, rrset.type);
    const entry = { name: rrset.name, type: rrset.type, values: new Set(live.values), ttl };
    touched.set(key(rrset), entry);
    return entry;
  };
  const changed = (what: string) =>
    new DnsUpdateError(
      `PowerDNS holds other records at ${what} than were read a moment ago (someone changed the zone meanwhile); nothing was written, the next attempt reads them again. (CHANGED)`,
      'CHANGED',
    );
  for (const rrset of update.exactly ?? []) {
    const live = await current(rrset);
    const same = live.values.size === rrset.values.length && rrset.values.every((value) => live.values.has(value));
    if (!same) throw changed(`${rrset.name} ${rrset.type}`);
  }
  for (const rrset of update.absent ?? []) {
    if ((await current(rrset)).values.size > 0) throw changed(`${rrset.name} ${rrset.type}`);
  }
  for (const rrset of update.remove ?? []) {
    const live = await current(rrset);
    for (const value of rrset.values) live.values.delete(value);
  }
  for (const rrset of update.add ?? []) {
    const live = await current(rrset);
    live.ttl = rrset.ttl;
    for (const value of rrset.values) live.values.add(value);
  }
  const rrsets = [...touched.values()].map((rrset) =>
    rrset.values.size === 0
      ? { name: `${rrset.name}.`, type: rrset.type, changetype: 'DELETE' }
      : {
          name: `${rrset.name}.`,
          type: rrset.type,
          ttl: rrset.ttl,
          changetype: 'REPLACE',
          records: [...rrset.values].map((value) => ({ content: content(rrset.type, value), disabled: false })),
        },
  );
  if (rrsets.length === 0) return;
  const url = `${target.apiUrl.replace(/\/$/, '')}/api/v1/servers/${encodeURIComponent(target.serverId)}/zones/${encodeURIComponent(`${zone}.`)}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'PATCH',
      headers: { 'X-API-Key': target.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ rrsets }),
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new DnsUpdateError(
      timedOut
        ? `PowerDNS's API at ${target.apiUrl} did not answer within ${target.timeoutMs / 1000} s. Check that pdns_server runs with api=yes and webserver=yes.`
        : `PowerDNS's API at ${target.apiUrl} could not be reached (${String((error as { cause?: { code?: string } }).cause?.code ?? error)}). Check the URL and webserver-address/webserver-allow-from.`,
      timedOut ? 'TIMEOUT' : 'UNREACHABLE',
    );
  }
  if (response.ok) return;
  const body = (await response.text()).slice(0, 500);
  let detail = body;
  try {
    detail = (JSON.parse(body) as { error?: string }).error ?? body;
  } catch {
    // 401, 404 and 409 answer plain text.
  }
  const advice =
    response.status === 401
      ? 'refused the API key: check it against api-key in pdns.conf.'
      : response.status === 404
        ? `does not serve the zone ${zone}: create it there first.`
        : `refused the change: ${detail}`;
  throw new DnsUpdateError(
    `PowerDNS's API at ${target.apiUrl} ${advice} (HTTP ${response.status})`,
    `HTTP ${response.status}`,
  );
}
