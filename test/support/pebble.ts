import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { execFileAsync, freePort, Service, tcpOpen, waitFor } from './processes';

export interface PebbleOptions {
  /** Where Pebble connects for HTTP-01 (the port nginx's port 80 vhosts listen on). */
  readonly httpPort: number;
  /** `ip:port` of the DNS server Pebble resolves names with. */
  readonly dnsServer: string;
  /** Certificate lifetime in seconds (Pebble's `certificateValidityPeriod`). */
  readonly certificateValidity?: number;
  /** The address Pebble's API listens on (127.0.0.1 unless given), put in its certificate too. */
  readonly listenAddress?: string;
  /** Leave Pebble's random bad-nonce rejections on (real CAs send them too). */
  readonly nonceRejects?: boolean;
}

function get(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { ca, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`))));
    })
      .on('error', reject)
      .end();
  });
}

/** Pebble, Let's Encrypt's test CA, from Debian, with its own TLS certificate for its API. */
export class Pebble {
  private service?: Service;
  /** PEM of the certificate Pebble's API listener uses (trust it to talk ACME). */
  readonly apiCaFile: string;
  /** PEM of Pebble's issuing root and intermediate (trust it to verify issued certificates). */
  readonly chainFile: string;
  readonly rootFile: string;

  constructor(
    private readonly options: PebbleOptions,
    private readonly dir: string,
  ) {
    this.apiCaFile = join(dir, 'pebble-api.pem');
    this.chainFile = join(dir, 'pebble-chain.pem');
    this.rootFile = join(dir, 'pebble-root.pem');
  }

  /** Free ports picked at start: another process may take one first, and Pebble then starts again on new ones. */
  private ports = { listen: 0, management: 0 };

  get directoryUrl(): string {
    return `https://${this.host}:${this.ports.listen}/dir`;
  }

  private get host(): string {
    return this.options.listenAddress ?? '127.0.0.1';
  }

  async start(): Promise<void> {
    const key = join(this.dir, 'pebble-api.key');
    await execFileAsync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', key, '-out', this.apiCaFile, '-days', '2', '-subj', '/CN=localhost',
      '-addext', `subjectAltName=DNS:localhost,IP:127.0.0.1,IP:${this.host}`,
    ]); // prettier-ignore
    for (let attempt = 1; ; attempt++) {
      this.ports = { listen: await freePort(), management: await freePort() };
      try {
        await this.launch(key);
        break;
      } catch (error) {
        await this.service?.stop();
        await new Promise((resolve) => setTimeout(resolve, 200)); // its last words reach the log
        const log = existsSync(this.logFile)
          ? readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-3).join(' | ')
          : '';
        if (attempt < 3 && /address already in use/i.test(log)) continue;
        throw new Error(`${(error as Error).message}; pebble.log: ${log || '(empty)'}`);
      }
    }
    await this.fetchRoots();
  }

  private async fetchRoots(): Promise<void> {
    const management = `https://${this.host}:${this.ports.management}`;
    const apiCa = readFileSync(this.apiCaFile, 'utf8');
    const root = await get(`${management}/roots/0`, apiCa);
    const intermediate = await get(`${management}/intermediates/0`, apiCa);
    writeFileSync(this.rootFile, root);
    writeFileSync(this.chainFile, `${root.trim()}\n${intermediate.trim()}\n`);
  }

  get logFile(): string {
    return join(this.dir, 'pebble.log');
  }

  private async launch(key: string): Promise<void> {
    const config = join(this.dir, 'pebble.json');
    writeFileSync(
      config,
      JSON.stringify({
        pebble: {
          listenAddress: `${this.host}:${this.ports.listen}`,
          managementListenAddress: `${this.host}:${this.ports.management}`,
          certificate: this.apiCaFile,
          privateKey: key,
          httpPort: this.options.httpPort,
          tlsPort: 5001,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
          ...(this.options.certificateValidity ? { certificateValidityPeriod: this.options.certificateValidity } : {}),
        },
      }),
    );
    this.service = Service.start(
      'pebble',
      'pebble',
      ['-config', config, '-dnsserver', this.options.dnsServer],
      this.logFile,
      { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: this.options.nonceRejects ? '20' : '0' },
    );
    await waitFor('Pebble to listen', async () => {
      if (!this.service?.running) throw new Error(`pebble ${this.service?.describeExit()}`);
      return (await tcpOpen(this.host, this.ports.listen)) && (await tcpOpen(this.host, this.ports.management));
    });
  }

  /**
   * Starts Pebble again on the same ports, as a CA that was reset: it keeps no accounts,
   * orders or certificates across a restart, and it has a new root.
   */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch(join(this.dir, 'pebble-api.key'));
    await this.fetchRoots();
  }

  async stop(): Promise<void> {
    await this.service?.stop();
    this.service = undefined;
  }
}
