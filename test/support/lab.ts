import { randomInt } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../src/panel/auth/passwords';
import { DnsData, Dnsmasq } from './dnsmasq';
import { HttpsAnswer, httpsGet } from './https-get';
import { Nginx } from './nginx';
import { Pebble } from './pebble';
import { freePort, mtaStsQuery, tcpOpen } from './processes';

export { freePort } from './processes';

/**
 * A loopback stand-in for the internet around one mail server: a DNS server (dnsmasq),
 * Let's Encrypt (Pebble) and the server's own nginx, all on one 127.x.y.z address of its
 * own. As root it uses the real ports 53, 80 and 443, so an independent client such as
 * mta-sts-query can fetch `https://mta-sts.<domain>/` exactly as a sender would; without
 * root it falls back to free high ports (enough for the demo, not for mta-sts-query).
 */
export interface LabOptions {
  readonly dns: DnsData;
  /** Pebble's certificate lifetime in seconds. */
  readonly certificateValidity?: number;
  /** Let Pebble reject some nonces, as real CAs do now and then. */
  readonly nonceRejects?: boolean;
}

async function freeLoopbackAddress(): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const address = `127.${randomInt(100, 250)}.${randomInt(1, 250)}.${randomInt(2, 250)}`;
    const busy = (await tcpOpen(address, 80)) || (await tcpOpen(address, 443));
    if (!busy) return address;
  }
  throw new Error('no free loopback address found');
}

interface LabPorts {
  readonly dns: number;
  readonly http: number;
  readonly https: number;
}

export class Lab {
  readonly dir: string;
  readonly dataDir: string;
  readonly nginx: Nginx;
  readonly apiToken = 'lab-token-0123456789abcdef';
  /** People who may sign in to the pages (see `MTA_STS_USERS`). */
  readonly users = {
    admin: { name: 'admin', password: 'admin-password-1' },
    viewer: { name: 'viewer', password: 'viewer-password-1' },
  };
  private usersSetting = '';

  private constructor(
    readonly address: string,
    readonly ports: LabPorts,
    readonly dnsmasq: Dnsmasq,
    readonly pebble: Pebble,
    dir: string,
  ) {
    this.dir = dir;
    this.dataDir = join(dir, 'data');
    this.nginx = new Nginx(dir);
  }

  static async start(options: LabOptions): Promise<Lab> {
    const privileged = process.getuid?.() === 0;
    const dir = mkdtempSync(join(tmpdir(), 'mta-sts-lab-'));
    // nginx's workers run as an unprivileged user and must traverse to the policy files.
    chmodSync(dir, 0o755);
    const address = await freeLoopbackAddress();
    const ports: LabPorts = privileged
      ? { dns: 53, http: 80, https: 443 }
      : { dns: await freePort(), http: await freePort(), https: await freePort() };
    const dnsmasq = new Dnsmasq(address, ports.dns, dir);
    const pebble = new Pebble(
      {
        httpPort: ports.http,
        dnsServer: dnsmasq.server,
        certificateValidity: options.certificateValidity,
        nonceRejects: options.nonceRejects,
      },
      dir,
    );
    const lab = new Lab(address, ports, dnsmasq, pebble, dir);
    lab.usersSetting = [
      `${lab.users.admin.name}:admin:${await hashPassword(lab.users.admin.password)}`,
      `${lab.users.viewer.name}:viewer:${await hashPassword(lab.users.viewer.password)}`,
    ].join(',');
    try {
      await dnsmasq.start(options.dns);
      await pebble.start();
      await lab.nginx.start();
    } catch (error) {
      await lab.stop();
      throw error;
    }
    return lab;
  }

  /** Publishes `mta-sts.<domain>` pointing at this lab and one MX host `mx.<domain>`. */
  async publishDomain(domain: string): Promise<void> {
    await this.dnsmasq.update({
      hosts: { [`mta-sts.${domain}`]: [this.address], [`mx.${domain}`]: [this.address] },
      mx: { [domain]: [`mx.${domain}`] },
    });
  }

  /** The panel's environment, as README.md documents it. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      MTA_STS_DATA_DIR: this.dataDir,
      MTA_STS_SERVER_IPV4: this.address,
      MTA_STS_ACME_DIRECTORY_URL: this.pebble.directoryUrl,
      MTA_STS_ACME_CA_FILE: this.pebble.apiCaFile,
      MTA_STS_ACME_EMAIL: 'postmaster@example.net',
      MTA_STS_DNS_SERVERS: this.dnsmasq.server,
      MTA_STS_NGINX_ARGS: this.nginx.args.join(' '),
      MTA_STS_NGINX_SITES_DIR: this.nginx.sitesDir,
      MTA_STS_NGINX_PID_FILE: this.nginx.pidFile,
      // Read by the shared layout only: nginx's workers, not its master, read the certificates.
      MTA_STS_NGINX_WORKER_USER: this.nginx.workerUser,
      MTA_STS_HTTP_LISTEN: `${this.address}:${this.ports.http}`,
      MTA_STS_HTTPS_LISTEN: `${this.address}:${this.ports.https}`,
      MTA_STS_API_TOKEN: this.apiToken,
      MTA_STS_USERS: this.usersSetting,
      // Pebble's root stands in for the public roots when the checks verify certificates.
      MTA_STS_CHECK_CA_FILE: this.pebble.rootFile,
      // Tests and the demo trigger checks and renewals themselves.
      MTA_STS_CHECK_CRON: '0 0 0 1 1 *',
      MTA_STS_RENEW_CRON: '0 0 0 1 1 *',
      ...extra,
    };
  }

  /**
   * GET `https://<host>/<path>` on this lab's address with SNI, trusting only Pebble's
   * chain, as a strict sender would (no redirects).
   */
  fetchHttps(
    host: string,
    path: string,
    /** The CA to trust instead of Pebble's current root (Pebble has a new one after a restart). */
    trust?: string,
  ): Promise<HttpsAnswer> {
    const ca = trust ?? readFileSync(this.pebble.rootFile, 'utf8');
    return httpsGet({ address: this.address, port: this.ports.https, host, path, ca });
  }

  /**
   * Runs Debian's `mta-sts-query` (postfix-mta-sts-resolver) against the domain, with
   * this lab's DNS as its resolver and Pebble's root as its only trust anchor.
   */
  async mtaStsQuery(domain: string): Promise<string> {
    if (this.ports.https !== 443 || this.ports.dns !== 53) {
      throw new Error('mta-sts-query needs the lab on ports 53 and 443, which needs root.');
    }
    return mtaStsQuery(domain, this.dnsmasq.address, this.pebble.rootFile, this.dir);
  }

  /**
   * A CA file for `MTA_STS_CHECK_CA_FILE` that trusts Pebble's root (the policy host's
   * certificate) and `extraPem` too, e.g. the CA of a test mail server's certificate.
   */
  checksCaFile(extraPem: string): string {
    const file = join(this.dir, 'checks-ca.pem');
    writeFileSync(file, `${readFileSync(this.pebble.rootFile, 'utf8').trim()}\n${extraPem.trim()}\n`);
    return file;
  }

  async stop(): Promise<void> {
    await this.nginx.stop();
    await this.pebble.stop();
    await this.dnsmasq.stop();
    if (!process.env.KEEP_LAB) rmSync(this.dir, { recursive: true, force: true });
  }
}
