import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Service, waitFor } from './processes';
import { Resolver } from 'node:dns/promises';

export interface DnsData {
  /** name → addresses (A and AAAA) */
  readonly hosts?: Record<string, string[]>;
  /** domain → MX host names (preference 10, 20, ...) */
  readonly mx?: Record<string, string[]>;
  /** name → TXT values (each one record; commas split it into strings, which resolvers join) */
  readonly txt?: Record<string, string[]>;
  /**
   * zone → `address#port` of an authoritative server the zone's queries go to, uncached,
   * so what the panel publishes there is what senders see at once.
   */
  readonly forward?: Record<string, string>;
}

/**
 * dnsmasq serving static test data on one loopback address. TXT data is read at start,
 * so changing records restarts it (it starts in milliseconds).
 */
export class Dnsmasq {
  private service?: Service;
  private data: DnsData = {};

  constructor(
    readonly address: string,
    readonly port: number,
    private readonly dir: string,
  ) {}

  get server(): string {
    return `${this.address}:${this.port}`;
  }

  async start(data: DnsData): Promise<void> {
    this.data = data;
    const args = [
      '--keep-in-foreground',
      `--port=${this.port}`,
      `--listen-address=${this.address}`,
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      `--pid-file=${join(this.dir, 'dnsmasq.pid')}`,
      // Answer only from the data below: unknown names are NXDOMAIN, never forwarded.
      '--local=/#/',
      '--user=root',
    ];
    // The records go into a configuration file: thousands of them would not fit in argv.
    const lines: string[] = [];
    // A line per address: one host-record line holds at most one IPv4 and one IPv6 address.
    for (const [name, addresses] of Object.entries(data.hosts ?? {})) {
      for (const address of addresses) lines.push(`host-record=${name},${address}`);
    }
    for (const [domain, hosts] of Object.entries(data.mx ?? {})) {
      hosts.forEach((host, index) => lines.push(`mx-host=${domain},${host},${(index + 1) * 10}`));
    }
    for (const [name, values] of Object.entries(data.txt ?? {})) {
      // In a configuration file a quoted value is one string, spaces and semicolons included.
      for (const value of values) lines.push(`txt-record=${name},"${value.replace(/["\\]/g, '\\$&')}"`);
    }
    for (const [zone, server] of Object.entries(data.forward ?? {})) lines.push(`server=/${zone}/${server}`);
    if (Object.keys(data.forward ?? {}).length > 0) lines.push('cache-size=0', 'no-negcache');
    const records = join(this.dir, 'dnsmasq-records.conf');
    writeFileSync(records, `${lines.join('\n')}\n`);
    args.push(`--conf-file=${records}`);
    this.service = Service.start('dnsmasq', 'dnsmasq', args, join(this.dir, 'dnsmasq.log'));
    const resolver = new Resolver({ timeout: 300, tries: 1 });
    resolver.setServers([this.server]);
    await waitFor('dnsmasq to answer', async () => {
      if (!this.service?.running) throw new Error(`dnsmasq ${this.service?.describeExit()}`);
      await resolver.resolve4('probe.invalid').catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOTFOUND') throw error;
      });
      return true;
    });
  }

  /** Restarts with changed records (merged over the current ones, key by key). */
  async update(change: DnsData): Promise<void> {
    await this.stop();
    await this.start({
      hosts: { ...this.data.hosts, ...change.hosts },
      mx: { ...this.data.mx, ...change.mx },
      txt: { ...this.data.txt, ...change.txt },
      forward: { ...this.data.forward, ...change.forward },
    });
  }

  async stop(): Promise<void> {
    await this.service?.stop();
    this.service = undefined;
  }
}
