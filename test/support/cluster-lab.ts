import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dnsmasq } from './dnsmasq';
import { HttpsAnswer, httpsGet } from './https-get';
import { Nginx } from './nginx';
import { apiRequest } from './panel';
import { Pebble } from './pebble';
import { PostgresServer } from './postgres';
import { execFileAsync, mtaStsQuery } from './processes';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const PANEL_PORT = 3000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ip(...args: string[]): Promise<void> {
  await execFileAsync('ip', args, { timeout: 10_000 });
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** One node: its network namespace with one address, its nginx, its panel (`node dist/main.js`). */
export class ClusterNodeProcess {
  readonly nginx: Nginx;
  readonly dataDir: string;
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly namespace: string,
    readonly address: string,
    readonly dir: string,
    private readonly env: () => Record<string, string>,
    private readonly token: string,
  ) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    this.nginx = new Nginx(dir, ['ip', 'netns', 'exec', namespace]);
    this.dataDir = join(dir, 'data');
    this.logFile = join(dir, 'panel.log');
  }

  get url(): string {
    return `http://${this.address}:${PANEL_PORT}`;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the panel in the node's namespace and waits until its API answers. */
  async start(): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.namespace, process.execPath, MAIN], {
      env: { ...process.env, ...this.env(), PORT: String(PANEL_PORT), HOST: this.address },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(this.logFile, { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`${this.name}'s panel exited at start-up:\n${tail(this.logFile)}`);
      const answer = await this.api('GET', '/api/domains').catch(() => undefined);
      if (answer?.status === 200) return;
      await sleep(100);
    }
    throw new Error(`${this.name}'s panel did not answer within 60 s:\n${tail(this.logFile)}`);
  }

  /** SIGKILL, as a crash: nothing is finished, the database session just ends. */
  async kill(): Promise<void> {
    if (this.alive) this.child?.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.alive) {
      this.child?.kill('SIGTERM');
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, timeoutMs = 30_000) {
    return apiRequest<T>(this.url, this.token, method, path, body, timeoutMs);
  }

  async health(): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** The end of the panel's log, for failure messages. */
  log(): string {
    return tail(this.logFile, 25);
  }

  /** Everything the panel has logged, without colours. */
  logText(): string {
    return readFileSync(this.logFile, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
  }
}

/**
 * Several nodes on one machine, as a provider runs them on several: each node in its own
 * network namespace (a veth pair into one bridge, one address each) with its own nginx on
 * ports 80 and 443 and its own panel; PostgreSQL, Pebble and dnsmasq on the bridge's
 * address. `mta-sts.<domain>` resolves to every node's address, so Pebble may validate
 * against any node and a sender may fetch from any. Needs root (namespaces, ports 53/80/443).
 */
export class ClusterLab {
  readonly apiToken = 'cluster-token-0123456789abcdef';
  readonly nodes: ClusterNodeProcess[] = [];
  private readonly links: string[] = [];
  private readonly namespaces: string[] = [];

  private constructor(
    readonly dir: string,
    readonly gateway: string,
    readonly bridge: string,
    readonly postgres: PostgresServer,
    readonly databaseUrl: string,
    readonly dnsmasq: Dnsmasq,
    readonly pebble: Pebble,
    readonly keyFile: string,
    private readonly extraEnv: Record<string, string>,
  ) {}

  static async start(names: string[], extraEnv: Record<string, string> = {}): Promise<ClusterLab> {
    const dir = mkdtempSync(join(tmpdir(), 'mta-sts-cluster-'));
    chmodSync(dir, 0o755);
    const net = `10.${randomInt(64, 250)}.${randomInt(1, 250)}`;
    const gateway = `${net}.1`;
    const tag = randomBytes(3).toString('hex');
    const bridge = `mtsb${tag}`;
    await ip('link', 'add', bridge, 'type', 'bridge');
    let lab: ClusterLab | undefined;
    let postgres: PostgresServer | undefined;
    try {
      await ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
      await ip('link', 'set', bridge, 'up');
      postgres = await PostgresServer.start({ address: gateway });
      const databaseUrl = await postgres.createDatabase('cluster');
      const dnsmasq = new Dnsmasq(gateway, 53, dir);
      const pebble = new Pebble({ httpPort: 80, dnsServer: `${gateway}:53`, listenAddress: gateway }, dir);
      const keyFile = join(dir, 'cluster.key');
      writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      lab = new ClusterLab(dir, gateway, bridge, postgres, databaseUrl, dnsmasq, pebble, keyFile, extraEnv);
      for (const [index, name] of names.entries()) await lab.addNode(name, `${net}.${11 + index}`, `${tag}${index}`);
      await dnsmasq.start({});
      await pebble.start();
      for (const node of lab.nodes) await node.nginx.start();
      return lab;
    } catch (error) {
      if (lab) await lab.stop();
      else {
        await postgres?.stop();
        await ip('link', 'del', bridge).catch(() => undefined);
      }
      throw error;
    }
  }

  private async addNode(name: string, address: string, tag: string): Promise<void> {
    const namespace = `mts${tag}`;
    const host = `mtsh${tag}`;
    const peer = `mtsp${tag}`;
    await ip('netns', 'add', namespace);
    this.namespaces.push(namespace);
    await ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
    this.links.push(host);
    await ip('link', 'set', peer, 'netns', namespace);
    await ip('link', 'set', host, 'master', this.bridge);
    await ip('link', 'set', host, 'up');
    const inside = (...args: string[]) => ip('netns', 'exec', namespace, 'ip', ...args);
    await inside('addr', 'add', `${address}/24`, 'dev', peer);
    await inside('link', 'set', peer, 'up');
    await inside('link', 'set', 'lo', 'up');
    const nodeDir = join(this.dir, name);
    const node: ClusterNodeProcess = new ClusterNodeProcess(
      name,
      namespace,
      address,
      nodeDir,
      () => this.env(node),
      this.apiToken,
    );
    this.nodes.push(node);
  }

  node(name: string): ClusterNodeProcess {
    const found = this.nodes.find((node) => node.name === name);
    if (!found) throw new Error(`no node ${name}`);
    return found;
  }

  /** A node's environment, as README's "Several nodes" describes it. */
  env(node: ClusterNodeProcess): Record<string, string> {
    return {
      MTA_STS_DATA_DIR: node.dataDir,
      MTA_STS_DATABASE_URL: this.databaseUrl,
      MTA_STS_NODE_NAME: node.name,
      MTA_STS_CLUSTER_KEY_FILE: this.keyFile,
      MTA_STS_CLUSTER_RECONCILE_SECONDS: '30',
      MTA_STS_CLUSTER_LEADER_POLL_SECONDS: '1',
      MTA_STS_SERVER_IPV4: node.address,
      MTA_STS_ACME_DIRECTORY_URL: this.pebble.directoryUrl,
      MTA_STS_ACME_CA_FILE: this.pebble.apiCaFile,
      MTA_STS_ACME_EMAIL: 'postmaster@example.net',
      MTA_STS_DNS_SERVERS: this.gateway,
      MTA_STS_NGINX_ARGS: node.nginx.args.join(' '),
      MTA_STS_NGINX_SITES_DIR: node.nginx.sitesDir,
      MTA_STS_NGINX_PID_FILE: node.nginx.pidFile,
      MTA_STS_NGINX_WORKER_USER: node.nginx.workerUser,
      MTA_STS_HTTP_LISTEN: `${node.address}:80`,
      MTA_STS_HTTPS_LISTEN: `${node.address}:443`,
      MTA_STS_API_TOKEN: this.apiToken,
      MTA_STS_CHECK_CA_FILE: this.pebble.rootFile,
      MTA_STS_CHECK_CRON: '0 0 0 1 1 *',
      MTA_STS_RENEW_CRON: '0 0 0 1 1 *',
      MTA_STS_SMTP_PROBE: 'false',
      // One domain at a time, so a sweep of a few hundred lasts long enough to be interrupted.
      MTA_STS_CHECK_CONCURRENCY: '1',
      // The layout for many domains: hosts come and go without reloading nginx.
      MTA_STS_NGINX_LAYOUT: 'shared',
      ...this.extraEnv,
    };
  }

  /** `mta-sts.<domain>` at every node (or the ones given), `mx.<domain>` at the gateway. */
  async publishDomain(domain: string, nodes: readonly ClusterNodeProcess[] = this.nodes): Promise<void> {
    await this.dnsmasq.update({
      hosts: { [`mta-sts.${domain}`]: nodes.map((node) => node.address), [`mx.${domain}`]: [this.gateway] },
      mx: { [domain]: [`mx.${domain}`] },
    });
  }

  /** GET `https://<host>/<path>` at one node's address with SNI, trusting only Pebble's chain. */
  fetchHttps(node: ClusterNodeProcess, host: string, path: string): Promise<HttpsAnswer> {
    const ca = readFileSync(this.pebble.rootFile, 'utf8');
    return httpsGet({ address: node.address, port: 443, host, path, ca });
  }

  /** curl, as an admin checks a node: resolving the policy host to that node, trusting Pebble's root. */
  async curl(node: ClusterNodeProcess, host: string, path: string): Promise<string> {
    const answer = await execFileAsync(
      'curl',
      [
        '-sS', '--fail', '--max-time', '10', '--cacert', this.pebble.rootFile,
        '--resolve', `${host}:443:${node.address}`, `https://${host}${path}`,
      ], // prettier-ignore
      { timeout: 15_000 },
    );
    return answer.stdout;
  }

  /** Debian's `mta-sts-query` with this lab's DNS and Pebble's root as its only trust anchor. */
  async mtaStsQuery(domain: string): Promise<string> {
    return mtaStsQuery(domain, this.gateway, this.pebble.rootFile, this.dir);
  }

  /** How many orders Pebble holds (its log says so after each new one). */
  orders(): number {
    const counts = [...readFileSync(this.pebble.logFile, 'utf8').matchAll(/There are now (\d+) orders in the db/g)];
    return counts.length === 0 ? 0 : Number(counts[counts.length - 1][1]);
  }

  /** How many certificates Pebble has issued so far (its log says so once per certificate). */
  issuedCertificates(): number {
    return (readFileSync(this.pebble.logFile, 'utf8').match(/Issued certificate serial/g) ?? []).length;
  }

  /**
   * Waits until `check` is true, failing with the nodes' logs after `ms`, or at once when
   * `check` throws (a state that cannot come right).
   */
  async until(what: string, check: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    let failure: string | undefined;
    try {
      while (!(await check())) {
        if (Date.now() > deadline) {
          failure = `Timed out after ${ms} ms waiting for ${what}`;
          break;
        }
        await sleep(100);
      }
    } catch (error) {
      failure = `While waiting for ${what}: ${(error as Error).message}`;
    }
    if (failure === undefined) return;
    const logs = this.nodes.map((node) => `--- ${node.name}\n${node.log()}`).join('\n');
    throw new Error(`${failure}\n${logs}`);
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.stop().catch(() => undefined);
    for (const node of this.nodes) await node.nginx.stop().catch(() => undefined);
    await this.pebble.stop().catch(() => undefined);
    await this.dnsmasq.stop().catch(() => undefined);
    await this.postgres.stop().catch(() => undefined);
    for (const link of this.links) await ip('link', 'del', link).catch(() => undefined);
    for (const namespace of this.namespaces) await ip('netns', 'del', namespace).catch(() => undefined);
    await ip('link', 'del', this.bridge).catch(() => undefined);
    if (!process.env.KEEP_LAB) rmSync(this.dir, { recursive: true, force: true });
  }
}
