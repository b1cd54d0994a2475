import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileAsync, Service, waitFor } from './processes';

/**
 * Unbound as the recursive resolver of the lab for zones served by the lab's own
 * authoritative servers (stub zones): unlike dnsmasq forwarding, it follows a CNAME from
 * one zone into another, as senders' resolvers do. Nothing is cached, so what the panel
 * publishes is what the next query sees.
 */
export class Unbound {
  private constructor(
    readonly address: string,
    readonly port: number,
    private readonly dir: string,
    private readonly service: Service,
  ) {}

  static async start(
    address: string,
    port: number,
    stubs: Record<string, readonly { address: string; port: number }[]>,
  ): Promise<Unbound> {
    const dir = mkdtempSync(join(tmpdir(), 'unbound-'));
    const config = join(dir, 'unbound.conf');
    writeFileSync(
      config,
      [
        'server:',
        `  interface: ${address}@${port}`,
        `  port: ${port}`,
        '  do-ip6: no',
        '  do-daemonize: no',
        '  use-syslog: no',
        `  logfile: "${join(dir, 'unbound.log')}"`,
        '  username: ""',
        '  chroot: ""',
        `  directory: "${dir}"`,
        `  pidfile: "${join(dir, 'unbound.pid')}"`,
        '  access-control: 127.0.0.0/8 allow',
        '  do-not-query-localhost: no',
        '  module-config: "iterator"',
        '  cache-max-ttl: 0',
        '  cache-max-negative-ttl: 0',
        '  infra-host-ttl: 1',
        ...Object.keys(stubs).map((zone) => `  domain-insecure: "${zone}"`),
        // Unbound answers reserved names such as test. itself (RFC 6761) unless told not to.
        ...[...new Set(Object.keys(stubs).map((zone) => zone.split('.').pop()!))].map(
          (tld) => `  local-zone: "${tld}." nodefault`,
        ),
        ...Object.entries(stubs).flatMap(([zone, servers]) => [
          'stub-zone:',
          `  name: "${zone}"`,
          ...servers.map((server) => `  stub-addr: ${server.address}@${server.port}`),
        ]),
        '',
      ].join('\n'),
    );
    await execFileAsync('unbound-checkconf', [config]);
    const service = Service.start('unbound', 'unbound', ['-d', '-c', config], join(dir, 'unbound.stdout'));
    const resolver = new Unbound(address, port, dir, service);
    const zone = Object.keys(stubs)[0];
    await waitFor('unbound to answer', async () => {
      if (!service.running) throw new Error(`unbound ${service.describeExit()} (see ${service.logFile})`);
      const { stdout } = await execFileAsync('kdig', [
        `@${address}`,
        '-p',
        String(port),
        '+timeout=1',
        '+retry=0',
        'SOA',
        zone,
        '+short',
      ]).catch(() => ({ stdout: '' }));
      return stdout.includes('hostmaster');
    });
    return resolver;
  }

  async stop(): Promise<void> {
    await this.service.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
