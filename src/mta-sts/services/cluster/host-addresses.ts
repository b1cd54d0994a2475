import { Inject, Injectable, Optional } from '@nestjs/common';
import { ServerAddresses, canonicalIp } from '../../domain/dns-records';
import { ResolvedMtaStsOptions } from '../../mta-sts.options';
import { MTA_STS_OPTIONS } from '../../mta-sts.tokens';
import { ClusterState } from '../../ports/cluster-state.port';
import { ALIVE_SECONDS } from './cluster-timing';

/** How long the nodes' addresses are reused: a sweep asks for them once per domain. */
const CACHE_MS = 5_000;

/**
 * The addresses `mta-sts.<domain>` should point at: this server's, or with several nodes
 * every node's (each serves every domain), until a node is removed from the cluster.
 * What the card tells the admin to publish, what the checks expect, what DNS publishing
 * writes.
 */
@Injectable()
export class PolicyHostAddresses {
  private cached: { at: number; value: ServerAddresses } | undefined;

  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Optional() @Inject(ClusterState) private readonly state?: ClusterState | null,
  ) {}

  async current(): Promise<ServerAddresses> {
    const own = { ipv4: this.options.serverIpv4, ipv6: this.options.serverIpv6 };
    if (!this.state || !this.options.cluster) return own;
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.value;
    // Without the database, this node's own addresses are still right.
    const nodes = await this.state.nodes(ALIVE_SECONDS).catch(() => []);
    const all = [own.ipv4, own.ipv6, ...nodes.flatMap((node) => node.addresses)].filter((address): address is string =>
      Boolean(address),
    );
    const unique = [...new Set(all.map(canonicalIp))].sort();
    const value = {
      ipv4: unique.filter((address) => !address.includes(':')),
      ipv6: unique.filter((address) => address.includes(':')),
    };
    this.cached = { at: Date.now(), value };
    return value;
  }
}
