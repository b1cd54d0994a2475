import { Inject, Injectable } from '@nestjs/common';
import type { LiveRRset, PublishedType, ZoneUpdate } from '../../domain/dns-publication';
import type { ResolvedZone } from '../../options/resolve-dns-publishing';
import { ResolvedMtaStsOptions } from '../../mta-sts.options';
import { MTA_STS_OPTIONS } from '../../mta-sts.tokens';
import { Clock } from '../../ports/clock.port';
import { DnsResolver } from '../../ports/dns-resolver.port';
import { AuthoritativeServer, DnsZones, PublishingZone } from '../../ports/dns-zones.port';
import { queryRRset, sendUpdate, where } from './dns-exchange';
import { applyThroughPowerDns } from './powerdns-api';

interface ConfiguredZone extends PublishingZone {
  readonly config: ResolvedZone;
}

/** The zones of `dnsPublishing.zones`, written with RFC 2136 and TSIG or through PowerDNS's API. */
@Injectable()
export class ConfiguredDnsZones extends DnsZones {
  private readonly zones: readonly ConfiguredZone[];

  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(DnsResolver) private readonly resolver: DnsResolver,
  ) {
    super();
    this.zones = options.dnsPublishing.zones.map((config) => ({
      zone: config.zone,
      config,
      describe:
        config.kind === 'rfc2136'
          ? `RFC 2136 updates to ${where(config.server)} signed with TSIG key ${config.keyName}`
          : `PowerDNS's API at ${config.apiUrl}`,
    }));
  }

  zoneFor(name: string): PublishingZone | undefined {
    const lower = name.toLowerCase();
    return this.zones
      .filter((zone) => lower === zone.zone || lower.endsWith(`.${zone.zone}`))
      .sort((a, b) => b.zone.length - a.zone.length)[0];
  }

  delegation(): { zone: PublishingZone; hostName: string } | undefined {
    const configured = this.options.dnsPublishing.delegation;
    const zone = configured && this.zoneFor(configured.zone);
    return zone && { zone: { ...zone, zone: configured.zone }, hostName: configured.hostName };
  }

  read(zone: PublishingZone, name: string, type: PublishedType): Promise<LiveRRset> {
    return queryRRset(this.primary(zone), name, type);
  }

  async apply(zone: PublishingZone, update: ZoneUpdate): Promise<void> {
    const { config } = zone as ConfiguredZone;
    const timeoutMs = this.options.dnsPublishing.timeoutMs;
    if (config.kind === 'rfc2136') {
      await sendUpdate(
        { ...config.server, key: { name: config.keyName, algorithm: 'hmac-sha256', secret: config.secret }, timeoutMs },
        config.zone,
        update,
        this.clock.now(),
      );
      return;
    }
    await applyThroughPowerDns(
      { apiUrl: config.apiUrl, apiKey: config.apiKey, serverId: config.serverId, dns: config.dnsServer, timeoutMs },
      config.zone,
      update,
      this.options.dnsPublishing.ttl,
    );
  }

  async authoritativeServers(zone: PublishingZone): Promise<AuthoritativeServer[]> {
    const primary = this.primary(zone);
    // The zone's apex: a delegation name inside it has no NS records of its own.
    const apex = (zone as ConfiguredZone).config.zone;
    const names = (await queryRRset(primary, apex, 'NS')).values.map((value) => value.replace(/\.$/, '').toLowerCase());
    const port = this.options.dnsPublishing.authoritativePort;
    const servers: AuthoritativeServer[] = [];
    for (const name of names) {
      // Glue from the zone itself first, then the module's resolver for hosts elsewhere.
      const inZone = name === apex || name.endsWith(`.${apex}`);
      const addresses = inZone
        ? [...(await queryRRset(primary, name, 'A')).values, ...(await queryRRset(primary, name, 'AAAA')).values]
        : [...(await this.resolver.resolveAddresses(name, 4)), ...(await this.resolver.resolveAddresses(name, 6))];
      for (const address of addresses) servers.push({ name, address, port });
    }
    return servers;
  }

  async askServer(server: AuthoritativeServer, name: string, type: PublishedType): Promise<readonly string[]> {
    const answer = await queryRRset(
      { host: server.address, port: server.port, timeoutMs: this.options.dnsPublishing.timeoutMs },
      name,
      type,
    );
    return answer.values;
  }

  private primary(zone: PublishingZone) {
    const { config } = zone as ConfiguredZone;
    const server = config.kind === 'rfc2136' ? config.server : config.dnsServer;
    return { ...server, timeoutMs: this.options.dnsPublishing.timeoutMs };
  }
}
