import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
  constructor(readonly port: number) {}

  /** A connection URL for `database`. */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
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
export class PostgresServer extends PostgresCluster {
  private constructor(
    port: number,
    readonly dir: string,
    private readonly service: Service,
  ) {
    super(port);
  }

  static async start(options: { port?: number } = {}): Promise<PostgresServer> {
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
    const service = Service.start(
      'postgres',
      join(bin, 'postgres'),
      [
        '-D', data, '-p', String(port), '-k', dir,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
        '-c', 'max_connections=200',
      ], // prettier-ignore
      log,
      undefined,
      user,
    );
    const server = new PostgresServer(port, dir, service);
    await waitFor(
      'PostgreSQL to accept connections',
      async () => {
        if (!server.service.running) throw new Error(`postgres ${server.service.describeExit()}; see ${log}`);
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
    return server;
  }

  /** Fast shutdown (SIGINT): a smart one (SIGTERM) would wait for every client to leave. */
  async stop(): Promise<void> {
    await this.service.stop('SIGINT', 10_000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
