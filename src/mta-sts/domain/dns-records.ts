import { isIPv4, isIPv6 } from 'node:net';
import { InvalidOptionError } from './errors';
import { DomainName } from './hostname';

/**
 * The DNS records an admin publishes for one domain, with values ready to copy.
 * RFC 8461 §3.1 (`_mta-sts` TXT), §3.3 (the policy host), RFC 8460 §3 (`_smtp._tls` TXT).
 */
export type RecordType = 'TXT' | 'A' | 'AAAA' | 'CNAME';

export interface DnsRecord {
  readonly name: string;
  readonly type: RecordType;
  readonly value: string;
  readonly purpose: string;
}

/**
 * The addresses `mta-sts.<domain>` points at: this server's, or (several nodes) every
 * node's, one address or a list per family.
 */
export interface ServerAddresses {
  readonly ipv4?: string | readonly string[];
  readonly ipv6?: string | readonly string[];
}

/** One family's addresses as a list (none, one, or every node's). */
export function addressList(value: string | readonly string[] | null | undefined): readonly string[] {
  if (value === undefined || value === null) return [];
  return typeof value === 'string' ? [value] : value;
}

/**
 * An IP address in the form DNS answers use (IPv6 lower-case with `::` compression), so
 * that addresses compare by value, not by spelling.
 */
export function canonicalIp(address: string): string {
  return isIPv6(address) ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

/** `v=STSv1` first, then `; id=` (RFC 8461 §3.1). */
export function policyIndicatorValue(id: string): string {
  return `v=STSv1; id=${id}`;
}

/** The `rua` of the configured template for one domain (`{domain}` is replaced). */
export function tlsRptRua(ruaTemplate: string, domain: DomainName): string {
  return ruaTemplate.split('{domain}').join(domain.ascii);
}

export function tlsRptValue(rua: string): string {
  return `v=TLSRPTv1; rua=${rua}`;
}

/**
 * Validates a `rua` template: one or more `mailto:` or `https:` URIs separated by
 * commas (RFC 8460 §3), with `{domain}` allowed as a placeholder. Characters that would
 * end the TXT field (`;`, spaces, quotes) are refused.
 */
export function assertTlsRptRua(option: string, template: string): string {
  const sample = template.split('{domain}').join('example.com');
  const uris = sample.split(',');
  for (const uri of uris) {
    if (!/^(mailto:[^\s;,"\\@]+@[a-z0-9.-]+|https:\/\/[^\s;,"\\]+)$/i.test(uri)) {
      throw new InvalidOptionError(
        option,
        `"${template}" must be one or more mailto: or https: URIs separated by commas, e.g. mailto:tls-reports@{domain}`,
      );
    }
  }
  return template;
}

export function assertServerAddresses(addresses: { readonly ipv4?: string; readonly ipv6?: string }): void {
  if (addresses.ipv4 !== undefined && !isIPv4(addresses.ipv4)) {
    throw new InvalidOptionError('serverIpv4', `"${addresses.ipv4}" is not an IPv4 address`);
  }
  if (addresses.ipv6 !== undefined && !isIPv6(addresses.ipv6)) {
    throw new InvalidOptionError('serverIpv6', `"${addresses.ipv6}" is not an IPv6 address`);
  }
  if (addresses.ipv4 === undefined && addresses.ipv6 === undefined) {
    throw new InvalidOptionError('serverIpv4', 'set this server’s public IPv4 or IPv6 address (at least one)');
  }
}

/** The policy host's address records. */
export function addressRecords(domain: DomainName, addresses: ServerAddresses): DnsRecord[] {
  const ipv4 = addressList(addresses.ipv4);
  const ipv6 = addressList(addresses.ipv6);
  const several = ipv4.length + ipv6.length > Math.min(1, ipv4.length) + Math.min(1, ipv6.length);
  return [
    ...ipv4.map((value) => ({
      name: domain.policyHost,
      type: 'A' as const,
      value,
      purpose: several
        ? 'Points the policy host at a node; every node serves the policy over HTTPS, so publish one for each.'
        : 'Points the policy host at this server, which serves the policy over HTTPS.',
    })),
    ...ipv6.map((value) => ({
      name: domain.policyHost,
      type: 'AAAA' as const,
      value,
      purpose: several
        ? 'Points the policy host at a node over IPv6; publish one for each node.'
        : 'Points the policy host at this server over IPv6.',
    })),
  ];
}

export function policyIndicatorRecord(domain: DomainName, id: string): DnsRecord {
  return {
    name: domain.policyRecordName,
    type: 'TXT',
    value: policyIndicatorValue(id),
    purpose: 'Announces the policy; senders refetch it when the id changes.',
  };
}

export function tlsRptRecord(domain: DomainName, ruaTemplate: string): DnsRecord {
  return {
    name: domain.tlsRptRecordName,
    type: 'TXT',
    value: tlsRptValue(tlsRptRua(ruaTemplate, domain)),
    purpose: 'Asks senders to report TLS delivery failures to this address.',
  };
}

/**
 * All records to publish, in the order an admin adds them: the `_mta-sts` TXT (only
 * when a policy exists, since its id comes from the policy), the policy host, TLS-RPT.
 */
export function expectedRecords(
  domain: DomainName,
  id: string | undefined,
  addresses: ServerAddresses,
  ruaTemplate: string,
): DnsRecord[] {
  return [
    ...(id ? [policyIndicatorRecord(domain, id)] : []),
    ...addressRecords(domain, addresses),
    tlsRptRecord(domain, ruaTemplate),
  ];
}

/** Quotes a TXT value for a zone file: escapes quotes and backslashes, splits into 255-byte strings (RFC 1035 §3.3.14). */
function zoneTxt(value: string): string {
  const escaped = (part: string) => `"${part.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  const parts: string[] = [];
  let part = '';
  // Whole characters only, each string at most 255 bytes of UTF-8.
  for (const character of value) {
    if (Buffer.byteLength(part + character, 'utf8') > 255) {
      parts.push(part);
      part = '';
    }
    part += character;
  }
  parts.push(part);
  return parts.map(escaped).join(' ');
}

/** The records as lines of a BIND zone file, with fully qualified names. */
export function zoneSnippet(records: readonly DnsRecord[], ttl = 3600): string {
  return records
    .map(
      (record) =>
        `${record.name}.\t${ttl}\tIN\t${record.type}\t${record.type === 'TXT' ? zoneTxt(record.value) : record.type === 'CNAME' ? `${record.value}.` : record.value}`,
    )
    .join('\n');
}
