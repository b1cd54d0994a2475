import { Resolver } from 'node:dns/promises';
import { DnsResolver, MxRecord } from '../ports/dns-resolver.port';

/** Answers that mean "no such records" rather than "the look-up failed". */
const EMPTY_ANSWER_CODES = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

export interface NodeDnsResolverOptions {
  /** `ip`, `ip:port` or `[ipv6]:port`; empty for the system resolver's servers. */
  readonly servers: readonly string[];
  readonly timeoutMs: number;
  readonly tries: number;
}

/** `node:dns` behind the `DnsResolver` port, pointed at the configured servers. */
export class NodeDnsResolver extends DnsResolver {
  private readonly resolver: Resolver;

  constructor(options: NodeDnsResolverOptions) {
    super();
    this.resolver = new Resolver({ timeout: options.timeoutMs, tries: options.tries });
    if (options.servers.length > 0) this.resolver.setServers([...options.servers]);
  }

  async resolveMx(name: string): Promise<MxRecord[]> {
    return this.orEmpty(() => this.resolver.resolveMx(name));
  }

  async resolveAddresses(name: string, family: 4 | 6): Promise<string[]> {
    return this.orEmpty(() => (family === 4 ? this.resolver.resolve4(name) : this.resolver.resolve6(name)));
  }

  async resolveTxt(name: string): Promise<string[]> {
    const records = await this.orEmpty(() => this.resolver.resolveTxt(name));
    return records.map((strings) => strings.join(''));
  }

  async resolveCname(name: string): Promise<string[]> {
    return (await this.orEmpty(() => this.resolver.resolveCname(name))).map((target) => target.replace(/\.$/, ''));
  }

  async resolvePtr(address: string): Promise<string[]> {
    return (await this.orEmpty(() => this.resolver.reverse(address))).map((name) => name.replace(/\.$/, ''));
  }

  private async orEmpty<T>(lookup: () => Promise<T[]>): Promise<T[]> {
    try {
      return await lookup();
    } catch (error) {
      if (EMPTY_ANSWER_CODES.has((error as NodeJS.ErrnoException).code ?? '')) return [];
      throw error;
    }
  }
}
