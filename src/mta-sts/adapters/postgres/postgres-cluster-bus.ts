import { Logger } from '@nestjs/common';
import type { Client, ClientConfig } from 'pg';
import { DataSource } from 'typeorm';
import { ClusterBus, ClusterBusEvents, Held } from '../../ports/cluster-bus.port';

/** The channel every change notice goes through (see the migration's triggers). */
export const CHANGES_CHANNEL = 'mta_sts_changes';
/** The first half of every advisory lock key of this module ("MTS"), apart from the host's own. */
const LOCK_SPACE = 0x4d5453;
const LEADER_KEY = 'leader';
const RECONNECT_MS = [500, 1_000, 2_000, 5_000];

/** The name of a node's own database session: other nodes tell it is alive by it. */
export function sessionName(node: string): string {
  return `mta-sts:${node}`;
}

/** The connection settings of a TypeORM PostgreSQL data source, for one more client. */
export function clientConfig(source: DataSource, node: string): ClientConfig {
  const options = source.options as {
    type: string;
    url?: string;
    host?: string;
    port?: number;
    username?: string;
    password?: string;
    database?: string;
  };
  if (options.type !== 'postgres') {
    throw new Error(`Several nodes need PostgreSQL; this panel's database is ${options.type}.`);
  }
  return {
    connectionString: options.url,
    host: options.host,
    port: options.port,
    user: options.username,
    password: options.password,
    database: options.database,
    keepAlive: true,
    connectionTimeoutMillis: 5_000,
    application_name: sessionName(node),
  };
}

/**
 * The node's session: one PostgreSQL connection of its own that LISTENs for change
 * notices and holds the leader's advisory lock, so leadership ends exactly when the
 * session does. Named locks are advisory locks on a pooled connection, held for the work.
 */
export class PostgresClusterBus extends ClusterBus {
  private readonly logger = new Logger('MtaSts');
  private session: Client | undefined;
  private isLeading = false;
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: DataSource,
    private readonly node: string,
  ) {
    super();
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  get leading(): boolean {
    return this.isLeading;
  }

  open(events: ClusterBusEvents): void {
    this.closed = false;
    void this.connect(events);
  }

  private async connect(events: ClusterBusEvents): Promise<void> {
    if (this.closed) return;
    const { Client } = await import('pg');
    const client = new Client(clientConfig(this.source, this.node));
    let lostOnce = false;
    const lost = (reason: string) => {
      if (lostOnce) return;
      lostOnce = true;
      if (this.session === client) this.session = undefined;
      this.isLeading = false;
      void client.end().catch(() => undefined);
      if (this.closed) return;
      events.lost(reason);
      const delay = RECONNECT_MS[Math.min(this.attempt++, RECONNECT_MS.length - 1)];
      this.timer = setTimeout(() => void this.connect(events), delay);
    };
    client.on('error', (error) => lost(error.message));
    client.on('end', () => lost('the connection ended'));
    client.on('notification', (message) => {
      if (message.channel === CHANGES_CHANNEL && message.payload) events.notice(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      lost((error as Error).message);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.attempt = 0;
    this.session = client;
    events.connected();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const session = this.session;
    this.session = undefined;
    this.isLeading = false;
    await session?.end().catch(() => undefined);
  }

  async tryLead(): Promise<boolean> {
    const session = this.session;
    if (!session) return false;
    if (this.isLeading) return true;
    const { rows } = await session.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
      [LOCK_SPACE, LEADER_KEY],
    );
    this.isLeading = rows[0]?.locked === true && this.session === session;
    return this.isLeading;
  }

  async withLock<T>(key: string, wait: boolean, work: () => Promise<T>): Promise<Held<T>> {
    const runner = this.source.createQueryRunner();
    await runner.connect();
    try {
      if (wait) {
        await runner.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_SPACE, key]);
      } else {
        const [row] = (await runner.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS "locked"', [
          LOCK_SPACE,
          key,
        ])) as Array<{ locked: boolean }>;
        if (!row?.locked) return { held: false };
      }
      try {
        return { held: true, value: await work() };
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_SPACE, key]).catch((error: unknown) => {
          this.logger.warn(`Could not release the cluster lock ${key}: ${String(error)}`);
        });
      }
    } finally {
      await runner.release();
    }
  }
}
