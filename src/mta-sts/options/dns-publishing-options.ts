/**
 * A zone the panel writes with RFC 2136 dynamic updates signed with TSIG (HMAC-SHA256),
 * which BIND, Knot DNS, PowerDNS and Windows DNS accept.
 */
export interface Rfc2136ZoneOptions {
  readonly kind: 'rfc2136';
  /** The zone's apex, e.g. `example.com`: every managed domain at or under it is published here. */
  readonly zone: string;
  /** The zone's primary server: `ip`, `ip:port` or `[ipv6]:port` (port 53 when not given). */
  readonly server: string;
  /** The TSIG key's name, spelled as in the server's configuration. */
  readonly keyName: string;
  /** The key's secret, base64. Never shown on pages, in API answers or in logs. */
  readonly keySecret: string;
}

/** A zone on PowerDNS Authoritative, written through its HTTP API (rrset PATCH). */
export interface PowerDnsZoneOptions {
  readonly kind: 'powerdns';
  readonly zone: string;
  /** PowerDNS's webserver, e.g. `http://127.0.0.1:8081`. */
  readonly apiUrl: string;
  /** Its `api-key`. Never shown on pages, in API answers or in logs. */
  readonly apiKey: string;
  /** @default 'localhost' */
  readonly serverId?: string;
  /** Where PowerDNS answers DNS queries, to read the records back: `ip` or `ip:port`. */
  readonly dnsServer: string;
}

export type DnsZoneOptions = Rfc2136ZoneOptions | PowerDnsZoneOptions;

/** Publishing the DNS records: the zones the panel may write; every other domain stays manual. */
export interface DnsPublishingOptions {
  /** @default [] (every domain's records are published by hand, as the card shows them) */
  zones?: DnsZoneOptions[];
  /** TTL of the records the panel writes, in seconds. @default 300 */
  ttl?: number;
  /** Time limit of one update or read, in milliseconds. @default 5000 */
  timeoutMs?: number;
  /** How long to wait for every authoritative server to answer a new id, in milliseconds. @default 120000 */
  convergenceTimeoutMs?: number;
  /** DNS port of the authoritative servers found from the zone's NS records. @default 53 */
  authoritativePort?: number;
  /**
   * Delegated hosting (RFC 8461 §8.2) for domains in none of `zones`: their owners publish
   * two CNAMEs once, into one of `zones` that the operator controls, and the panel keeps
   * the `v=STSv1` record there. @default undefined (such domains stay manual)
   */
  delegation?: {
    /** The operator's zone; one of `zones` or under one. */
    zone: string;
    /** The operator's name for this server's policy hosts. @default `mta-sts-host.<zone>` */
    hostName?: string;
  };
}
