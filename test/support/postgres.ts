import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, Service, waitFor } from './processes';

/** Where Debian's PostgreSQL packages put the server programs: the newest version there. */
function serverBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (Debian package postgresql)');
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

/** The uid and gid of Debian's `postgres` user: initdb and postgres refuse to run as root. */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A PostgreSQL cluster on 127.0.0.1 that trusts local connections: its databases by URL. */
export class PostgresCluster {
  constructor(
    readonly port: number,
    /** The address clients connect to. */
    readonly host = '127.0.0.1',
  ) {}

  /** A connection URL for `database`. */
  url(database: string): string {
    return `postgres://postgres@${this.host}:${this.port}/${database}`;
  }

  /** Creates an empty database with a fresh name, and returns its URL. */
  async createDatabase(prefix = 'mtasts'): Promise<string> {
    const name = `${prefix}_${randomBytes(6).toString('hex')}`;
    await this.admin(`CREATE DATABASE ${name}`);
    return this.url(name);
  }

  /** Drops a database made by `createDatabase`, closing whatever connections are left to it. */
  async dropDatabase(url: string): Promise<void> {
    const name = new URL(url).pathname.slice(1);
    if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a test database: ${name}`);
    await this.admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }

  private async admin(sql: string): Promise<void> {
    const client = new Client({ connectionString: this.url('postgres') });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

/**
 * A private PostgreSQL cluster from Debian's packages, a child of the test run in a
 * temporary directory, listening on 127.0.0.1 only and trusting local connections. Made
 * for tests: no fsync, no synchronous commit. Each suite gets a database of its own.
 */
export interface PostgresServerOptions {
  readonly port?: number;
  /**
   * Another address to listen on besides 127.0.0.1, whose /24 is trusted too (nodes in
   * network namespaces reach the server there).
   */
  readonly address?: string;
}

export class PostgresServer extends PostgresCluster {
  private constructor(
    port: number,
    readonly dir: string,
    private service: Service,
    private readonly launch: () => Service,
    host: string,
  ) {
    super(port, host);
  }

  static async start(options: PostgresServerOptions = {}): Promise<PostgresServer> {
    const bin = serverBin();
    const user = postgresUser();
    // Short: the server's socket lives here, and a socket path is limited to 107 bytes.
    const dir = mkdtempSync('/tmp/pg-');
    chownSync(dir, user.uid, user.gid);
    const data = join(dir, 'data');
    execFileSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
      { uid: user.uid, gid: user.gid, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const port = options.port ?? (await freePort());
    const log = join(dir, 'postgres.log');
    const listen = ['127.0.0.1', ...(options.address ? [options.address] : [])].join(',');
    if (options.address) {
      const network = options.address.split('.').slice(0, 3).join('.');
      appendFileSync(join(data, 'pg_hba.conf'), `host all all ${network}.0/24 trust\n`);
    }
    const launch = () =>
      Service.start(
        'postgres',
        join(bin, 'postgres'),
        [
          '-D', data, '-p', String(port), '-k', dir,
          '-c', `listen_addresses=${listen}`,
          '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
          '-c', 'max_connections=200',
        ], // prettier-ignore
        log,
        undefined,
        user,
      );
    const server = new PostgresServer(port, dir, launch(), launch, options.address ?? '127.0.0.1');
    await server.ready();
    return server;
  }

  /** Stops the server for a while, keeping its data (fast shutdown: clients are cut off). */
  async pause(): Promise<void> {
    await this.service.stop('SIGINT', 10_000);
  }

  /** Starts the paused server again on the same port with the same data. */
  async resume(): Promise<void> {
    this.service = this.launch();
    await this.ready();
  }

  private async ready(): Promise<void> {
    const { port, dir } = this;
    const log = join(dir, 'postgres.log');
    await waitFor(
      'PostgreSQL to accept connections',
      async () => {
        if (!this.service.running) throw new Error(`postgres ${this.service.describeExit()}; see ${log}`);
        const client = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return true;
        } catch {
          return false;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      30_000,
    );
  }

  /** Fast shutdown (SIGINT): a smart one (SIGTERM) would wait for every client to leave. */
  async stop(): Promise<void> {
    await this.service.stop('SIGINT', 10_000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
