/** DNS look-ups through the module's own resolver (configured servers, bounded timeouts). */
export interface MxRecord {
  readonly exchange: string;
  readonly priority: number;
}

export abstract class DnsResolver {
  /** MX records of a name; empty when the name has none or does not exist. */
  abstract resolveMx(name: string): Promise<MxRecord[]>;
  /** A (family 4) or AAAA (family 6) answers; empty when there are none. */
  abstract resolveAddresses(name: string, family: 4 | 6): Promise<string[]>;
  /** TXT records, each with its strings joined without separator (RFC 8461 §3.1). */
  abstract resolveTxt(name: string): Promise<string[]>;
  /** The CNAME target of a name (no trailing dot); empty when the name is no alias. */
  abstract resolveCname(name: string): Promise<string[]>;
  /** The PTR names of an address (no trailing dot); empty when it has none. */
  abstract resolvePtr(address: string): Promise<string[]>;
}
