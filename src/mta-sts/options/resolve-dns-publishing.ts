import { InvalidOptionError } from '../domain/errors';
import { parseDomainName } from '../domain/hostname';
import type { DnsPublishingOptions, DnsZoneOptions } from './dns-publishing-options';
import { bounded, serverAddress } from './validators';

/** A server address and port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type ResolvedZone =
  | {
      readonly kind: 'rfc2136';
      readonly zone: string;
      readonly server: HostPort;
      readonly keyName: string;
      readonly secret: Buffer;
    }
  | {
      readonly kind: 'powerdns';
      readonly zone: string;
      readonly apiUrl: string;
      readonly apiKey: string;
      readonly serverId: string;
      readonly dnsServer: HostPort;
    };

export interface ResolvedDnsPublishing {
  readonly zones: readonly ResolvedZone[];
  readonly delegation?: { readonly zone: string; readonly hostName: string };
  readonly ttl: number;
  readonly timeoutMs: number;
  readonly convergenceTimeoutMs: number;
  readonly authoritativePort: number;
}

function text(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidOptionError(option, 'is required');
  return value.trim();
}

function zone(option: string, raw: DnsZoneOptions): ResolvedZone {
  const apex = (() => {
    try {
      return parseDomainName(raw.zone).ascii;
    } catch {
      throw new InvalidOptionError(`${option}.zone`, `"${String(raw.zone)}" is not a domain name`);
    }
  })();
  if (raw.kind === 'rfc2136') {
    const secret = Buffer.from(text(`${option}.keySecret`, raw.keySecret), 'base64');
    // HMAC-SHA256 keys shorter than half the hash are refused by RFC 8945 §6.
    if (secret.length < 16) {
      throw new InvalidOptionError(`${option}.keySecret`, 'must be a base64 secret of at least 16 bytes');
    }
    return {
      kind: 'rfc2136',
      zone: apex,
      server: serverAddress(`${option}.server`, raw.server),
      keyName: text(`${option}.keyName`, raw.keyName),
      secret,
    };
  }
  if (raw.kind === 'powerdns') {
    let url: URL;
    try {
      url = new URL(text(`${option}.apiUrl`, raw.apiUrl));
    } catch {
      throw new InvalidOptionError(`${option}.apiUrl`, `"${String(raw.apiUrl)}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidOptionError(`${option}.apiUrl`, 'must be an http:// or https:// URL');
    }
    return {
      kind: 'powerdns',
      zone: apex,
      apiUrl: url.origin + url.pathname.replace(/\/$/, ''),
      apiKey: text(`${option}.apiKey`, raw.apiKey),
      serverId: raw.serverId ?? 'localhost',
      dnsServer: serverAddress(`${option}.dnsServer`, raw.dnsServer),
    };
  }
  throw new InvalidOptionError(`${option}.kind`, `must be "rfc2136" or "powerdns"`);
}

function delegation(
  raw: NonNullable<DnsPublishingOptions['delegation']>,
  zones: readonly ResolvedZone[],
): { zone: string; hostName: string } {
  const name = (option: string, value: unknown) => {
    try {
      return parseDomainName(value).ascii;
    } catch {
      throw new InvalidOptionError(option, `"${String(value)}" is not a domain name`);
    }
  };
  const zone = name('dnsPublishing.delegation.zone', raw.zone);
  if (!zones.some((configured) => zone === configured.zone || zone.endsWith(`.${configured.zone}`))) {
    throw new InvalidOptionError(
      'dnsPublishing.delegation.zone',
      `${zone} is in none of the zones the panel may write`,
    );
  }
  const hostName = name('dnsPublishing.delegation.hostName', raw.hostName ?? `mta-sts-host.${zone}`);
  if (!(hostName === zone || hostName.endsWith(`.${zone}`))) {
    throw new InvalidOptionError('dnsPublishing.delegation.hostName', `${hostName} must be in ${zone}`);
  }
  return { zone, hostName };
}

export function resolveDnsPublishing(options: DnsPublishingOptions | undefined): ResolvedDnsPublishing {
  const zones = (options?.zones ?? []).map((raw, index) => zone(`dnsPublishing.zones[${index}]`, raw));
  const seen = new Set<string>();
  for (const resolved of zones) {
    if (seen.has(resolved.zone))
      throw new InvalidOptionError('dnsPublishing.zones', `${resolved.zone} is listed twice`);
    seen.add(resolved.zone);
  }
  return {
    zones,
    ...(options?.delegation && { delegation: delegation(options.delegation, zones) }),
    ttl: bounded('dnsPublishing.ttl', options?.ttl, 300, 30, 86_400),
    timeoutMs: bounded('dnsPublishing.timeoutMs', options?.timeoutMs, 5_000, 100, 60_000),
    convergenceTimeoutMs: bounded(
      'dnsPublishing.convergenceTimeoutMs',
      options?.convergenceTimeoutMs,
      120_000,
      0,
      3_600_000,
    ),
    authoritativePort: bounded('dnsPublishing.authoritativePort', options?.authoritativePort, 53, 1, 65_535),
  };
}
