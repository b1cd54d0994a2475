import { DnsRecord, ServerAddresses, addressRecords, policyIndicatorValue, tlsRptRecord } from './dns-records';
import type { DomainName } from './hostname';

/**
 * Delegated hosting (RFC 8461 §8.2): a customer who keeps their own DNS publishes two
 * CNAMEs once, and the operator's zone holds the rest, so a new policy id never needs the
 * customer again. `_mta-sts.<domain>` points at `<domain>.<zone>`, where the panel keeps
 * the `v=STSv1` TXT record; `mta-sts.<domain>` points at one host name of the operator's
 * that resolves to this server (the certificate is still for `mta-sts.<domain>`, issued
 * over HTTP-01 through the CNAME).
 */
export interface Delegation {
  /** The operator's zone, one the panel writes. */
  readonly zone: string;
  /** The operator's name for this server's policy hosts. */
  readonly hostName: string;
}

/** The name in the operator's zone that holds the domain's `v=STSv1` record; undefined when it would be too long. */
export function delegatedPolicyName(domain: DomainName, zone: string): string | undefined {
  const name = `${domain.ascii}.${zone}`;
  return name.length <= 253 ? name : undefined;
}

/** What the customer publishes once, at their own DNS provider. */
export function customerRecords(domain: DomainName, delegation: Delegation, ruaTemplate: string): DnsRecord[] {
  const target = delegatedPolicyName(domain, delegation.zone);
  return [
    ...(target
      ? [
          {
            name: domain.policyRecordName,
            type: 'CNAME' as const,
            value: target,
            purpose: 'Hands the policy record to the operator, who updates the id from then on.',
          },
        ]
      : []),
    {
      name: domain.policyHost,
      type: 'CNAME',
      value: delegation.hostName,
      purpose: 'Points the policy host at the operator’s server.',
    },
    tlsRptRecord(domain, ruaTemplate),
  ];
}

/** What the operator's zone holds for the domain: its `v=STSv1` record (once served) and this server's addresses. */
export function operatorRecords(
  domain: DomainName,
  delegation: Delegation,
  id: string | undefined,
  addresses: ServerAddresses,
): DnsRecord[] {
  const name = delegatedPolicyName(domain, delegation.zone);
  const host = addressRecords(domain, addresses).map((record) => ({ ...record, name: delegation.hostName }));
  return [
    ...(id && name
      ? [{ name, type: 'TXT' as const, value: policyIndicatorValue(id), purpose: 'The policy record, delegated.' }]
      : []),
    ...host,
  ];
}
