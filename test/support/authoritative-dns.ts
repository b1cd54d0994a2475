import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileAsync, freePort, Service, waitFor } from './processes';

/**
 * Real authoritative DNS servers from Debian's packages, each a child of the test in its
 * own temporary directory: Knot DNS and BIND accept TSIG-signed RFC 2136 updates,
 * PowerDNS Authoritative its HTTP API. Each serves one zone with an SOA, NS and address.
 */
export interface AuthoritativeServer {
  readonly kind: 'knot' | 'bind' | 'powerdns';
  readonly address: string;
  readonly port: number;
  readonly zone: string;
  stop(): Promise<void>;
}

export interface ZoneContents {
  /** Extra records in zone file syntax, relative names allowed. */
  readonly records?: readonly string[];
  /** NS host names of the zone, each with its address (default ns1 at this server's address). */
  readonly nameservers?: Readonly<Record<string, string>>;
}

function zoneFile(zone: string, address: string, contents: ZoneContents): string {
  const nameservers = contents.nameservers ?? { [`ns1.${zone}`]: address };
  const first = Object.keys(nameservers)[0];
  return [
    `$ORIGIN ${zone}.`,
    '$TTL 300',
    `@ IN SOA ${first}. hostmaster.${zone}. 2026112601 3600 900 604800 300`,
    ...Object.keys(nameservers).map((host) => `@ IN NS ${host}.`),
    ...Object.entries(nameservers).map(([host, ip]) => `${host}. IN A ${ip}`),
    ...(contents.records ?? []),
    '',
  ].join('\n');
}

async function soaAnswers(address: string, port: number, zone: string): Promise<boolean> {
  const { stdout } = await execFileAsync('kdig', [
    '+tcp',
    '+timeout=1',
    '+retry=0',
    `@${address}`,
    '-p',
    String(port),
    'SOA',
    zone,
    '+short',
  ]).catch(() => ({ stdout: '' }));
  return stdout.includes('hostmaster');
}

/** A server that accepts RFC 2136 updates signed with its TSIG key. */
export class UpdateServer implements AuthoritativeServer {
  private constructor(
    readonly kind: 'knot' | 'bind',
    readonly address: string,
    readonly port: number,
    readonly zone: string,
    readonly keyName: string,
    /** The TSIG secret, base64. */
    readonly secret: string,
    readonly dir: string,
    private readonly service: Service,
  ) {}

  static async start(
    kind: 'knot' | 'bind',
    zone: string,
    options: ZoneContents & {
      address?: string;
      port?: number;
      /** Serve the zone as a secondary of this server (AXFR, then IXFR after each NOTIFY). */
      secondaryOf?: UpdateServer;
      /** Knot only: -1 keeps changes in the journal, written without waiting for the disk, instead of rewriting the zone file after each. */
      zonefileSync?: number;
      /** Servers to NOTIFY after each change. */
      notify?: readonly { address: string; port: number }[];
    } = {},
  ): Promise<UpdateServer> {
    const address = options.address ?? '127.0.0.1';
    const port = options.port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), `${kind}-`));
    const secret = randomBytes(32).toString('base64');
    const keyName = 'mtasts-key';
    const file = join(dir, `${zone}.zone`);
    writeFileSync(file, zoneFile(zone, address, options));
    let service: Service;
    const notify = options.notify ?? [];
    if (kind === 'knot') {
      mkdirSync(join(dir, 'storage'));
      const primaryOf = options.secondaryOf;
      writeFileSync(
        join(dir, 'knot.conf'),
        [
          'server:',
          `    rundir: "${dir}"`,
          `    listen: ${address}@${port}`,
          'log:',
          `  - target: "${join(dir, 'knot.log')}"`,
          '    any: info',
          'database:',
          `    storage: "${join(dir, 'storage')}"`,
          ...(options.zonefileSync === -1 ? ['    journal-db-mode: asynchronous'] : []),
          'key:',
          `  - id: ${keyName}`,
          '    algorithm: hmac-sha256',
          `    secret: ${secret}`,
          'acl:',
          '  - id: allow-update',
          `    key: ${keyName}`,
          '    action: update',
          '  - id: allow-transfer',
          '    action: transfer',
          '  - id: allow-notify',
          '    action: notify',
          ...(primaryOf || notify.length
            ? [
                'remote:',
                ...(primaryOf ? ['  - id: primary', `    address: ${primaryOf.address}@${primaryOf.port}`] : []),
                ...notify.flatMap((target, index) => [
                  `  - id: secondary${index}`,
                  `    address: ${target.address}@${target.port}`,
                  // From its own address, so the secondary recognises its primary.
                  `    via: ${address}`,
                ]),
              ]
            : []),
          'zone:',
          `  - domain: ${zone}`,
          `    storage: "${dir}"`,
          ...(primaryOf
            ? [`    file: "${zone}.secondary"`, '    master: primary', '    acl: [allow-notify]']
            : [
                `    file: "${zone}.zone"`,
                '    acl: [allow-update, allow-transfer]',
                '    serial-policy: increment',
                ...(notify.length ? [`    notify: [${notify.map((_, index) => `secondary${index}`).join(', ')}]`] : []),
              ]),
          `    zonefile-sync: ${options.zonefileSync ?? 0}`,
          '',
        ].join('\n'),
      );
      if (primaryOf) rmSync(file);
      service = Service.start('knotd', 'knotd', ['-c', join(dir, 'knot.conf')], join(dir, 'knotd.stdout'));
    } else {
      // BIND listens only on addresses of an interface: 127.0.0.1, not the rest of 127/8.
      const primaryOf = options.secondaryOf;
      writeFileSync(
        join(dir, 'named.conf'),
        [
          'options {',
          `  directory "${dir}";`,
          `  pid-file "${join(dir, 'named.pid')}";`,
          `  session-keyfile "${join(dir, 'session.key')}";`,
          `  managed-keys-directory "${dir}";`,
          `  listen-on port ${port} { ${address}; };`,
          '  listen-on-v6 { none; };',
          '  recursion no;',
          '  dnssec-validation no;',
          '  allow-transfer { any; };',
          ...(notify.length
            ? [
                '  notify explicit;',
                `  also-notify { ${notify.map((target) => `${target.address} port ${target.port};`).join(' ')} };`,
              ]
            : []),
          '};',
          'controls { };',
          `key "${keyName}" { algorithm hmac-sha256; secret "${secret}"; };`,
          `zone "${zone}" {`,
          ...(primaryOf
            ? [
                '  type secondary;',
                `  primaries port ${primaryOf.port} { ${primaryOf.address}; };`,
                `  file "${file}.secondary";`,
              ]
            : ['  type primary;', `  file "${file}";`, `  allow-update { key ${keyName}; };`]),
          '};',
          '',
        ].join('\n'),
      );
      service = Service.start('named', 'named', ['-g', '-c', join(dir, 'named.conf')], join(dir, 'named.log'));
    }
    const server = new UpdateServer(kind, address, port, zone, keyName, secret, dir, service);
    await waitFor(`${kind} to serve ${zone}`, async () => {
      if (!service.running) throw new Error(`${kind} ${service.describeExit()} (see ${service.logFile})`);
      return soaAnswers(address, port, zone);
    });
    return server;
  }

  /** The server's process id. */
  get pid(): number {
    return this.service.child.pid!;
  }

  async stop(): Promise<void> {
    await this.service.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The values of one RRset, as `kdig` reads them from this server. */
  async values(name: string, type: string): Promise<string[]> {
    const { stdout } = await execFileAsync('kdig', [
      '+tcp',
      '+timeout=2',
      '+retry=0',
      `@${this.address}`,
      '-p',
      String(this.port),
      type,
      name,
      '+short',
    ]);
    return stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => (type === 'TXT' ? line.replace(/^"|"$/g, '').replace(/" "/g, '') : line))
      .sort();
  }
}

/** PowerDNS Authoritative with the gsqlite3 backend and its HTTP API. */
export class PowerDns implements AuthoritativeServer {
  readonly kind = 'powerdns' as const;

  private constructor(
    readonly address: string,
    readonly port: number,
    readonly apiPort: number,
    readonly apiKey: string,
    readonly zone: string,
    private readonly dir: string,
    private readonly service: Service,
  ) {}

  get apiUrl(): string {
    return `http://${this.address}:${this.apiPort}`;
  }

  static async start(
    zone: string,
    options: ZoneContents & { address?: string; port?: number } = {},
  ): Promise<PowerDns> {
    const address = options.address ?? '127.0.0.1';
    const [port, apiPort] = [options.port ?? (await freePort()), await freePort()];
    const apiKey = randomBytes(16).toString('hex');
    const dir = mkdtempSync(join(tmpdir(), 'pdns-'));
    const database = join(dir, 'pdns.sqlite3');
    await execFileAsync('sh', [
      '-c',
      `sqlite3 "${database}" < /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql`,
    ]);
    writeFileSync(
      join(dir, 'pdns.conf'),
      [
        'launch=gsqlite3',
        `gsqlite3-database=${database}`,
        `local-address=${address}`,
        `local-port=${port}`,
        `socket-dir=${dir}`,
        'daemon=no',
        'guardian=no',
        'disable-syslog=yes',
        'loglevel=5',
        'security-poll-suffix=',
        'default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 300',
        'api=yes',
        `api-key=${apiKey}`,
        'webserver=yes',
        `webserver-address=${address}`,
        `webserver-port=${apiPort}`,
        `webserver-allow-from=127.0.0.0/8`,
        '',
      ].join('\n'),
    );
    const service = Service.start('pdns', 'pdns_server', [`--config-dir=${dir}`], join(dir, 'pdns.log'));
    const server = new PowerDns(address, port, apiPort, apiKey, zone, dir, service);
    await waitFor('PowerDNS to answer its API', async () => {
      if (!service.running) throw new Error(`pdns_server ${service.describeExit()} (see ${service.logFile})`);
      const response = await fetch(`${server.apiUrl}/api/v1/servers/localhost`, {
        headers: { 'X-API-Key': apiKey },
      }).catch(() => undefined);
      return response?.ok ?? false;
    });
    const nameservers = options.nameservers ?? { [`ns1.${zone}`]: address };
    const created = await fetch(`${server.apiUrl}/api/v1/servers/localhost/zones`, {
      method: 'POST',
      headers: { 'X-API-Key': apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: `${zone}.`,
        kind: 'Native',
        nameservers: Object.keys(nameservers).map((host) => `${host}.`),
        rrsets: [
          ...Object.entries(nameservers).map(([host, ip]) => ({
            name: `${host}.`,
            type: 'A',
            ttl: 300,
            changetype: 'REPLACE',
            records: [{ content: ip, disabled: false }],
          })),
          // Zone file lines (`name IN TYPE content`), one record each.
          ...(options.records ?? []).map((line) => {
            const [owner, , type, ...content] = line.trim().split(/\s+/);
            const name = owner === '@' ? `${zone}.` : owner.endsWith('.') ? owner : `${owner}.${zone}.`;
            return {
              name,
              type,
              ttl: 300,
              changetype: 'REPLACE',
              records: [{ content: content.join(' '), disabled: false }],
            };
          }),
        ],
      }),
    });
    if (created.status !== 201) throw new Error(`PowerDNS refused the zone: ${created.status} ${await created.text()}`);
    await waitFor(`PowerDNS to serve ${zone}`, () => soaAnswers(address, port, zone));
    return server;
  }

  async stop(): Promise<void> {
    await this.service.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
