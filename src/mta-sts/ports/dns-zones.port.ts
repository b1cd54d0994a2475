import type { LiveRRset, PublishedType, ZoneUpdate } from '../domain/dns-publication';

/** A zone the panel may write; `describe` names the server and method, never a secret. */
export interface PublishingZone {
  readonly zone: string;
  readonly describe: string;
}

/** One authoritative server of a zone, found from its NS records. */
export interface AuthoritativeServer {
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

/**
 * The DNS zones the panel writes (RFC 2136 with TSIG, or PowerDNS's API). A domain in no
 * configured zone stays manual: the card lists its records for the admin to publish.
 */
export abstract class DnsZones {
  /** The configured zone that holds `name` (the longest match), or undefined. */
  abstract zoneFor(name: string): PublishingZone | undefined;
  /** The operator's zone and host name for delegated hosting (RFC 8461 §8.2), when configured. */
  abstract delegation(): { readonly zone: PublishingZone; readonly hostName: string } | undefined;
  /** An RRset as the zone's primary holds it now. */
  abstract read(zone: PublishingZone, name: string, type: PublishedType): Promise<LiveRRset>;
  /** Applies the update whole or not at all; a `DnsUpdateError` says what the server answered. */
  abstract apply(zone: PublishingZone, update: ZoneUpdate): Promise<void>;
  /** Every authoritative server of the zone, from its NS records and their addresses. */
  abstract authoritativeServers(zone: PublishingZone): Promise<AuthoritativeServer[]>;
  /** The values one authoritative server answers for `name` and `type` (its own data, no recursion). */
  abstract askServer(server: AuthoritativeServer, name: string, type: PublishedType): Promise<readonly string[]>;
}
