import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresClusterBus, sessionName } from '../../src/mta-sts/adapters/postgres/postgres-cluster-bus';
import { TypeOrmClusterState } from '../../src/mta-sts/persistence/typeorm-cluster-state';
import { ClusterBusEvents } from '../../src/mta-sts/ports/cluster-bus.port';
import { FencedOut, Leadership } from '../../src/mta-sts/services/cluster/leadership';
import { SweepTurns } from '../../src/mta-sts/services/cluster/sweep-turns';
import type { ResolvedMtaStsOptions } from '../../src/mta-sts/mta-sts.options';
import { TEST_DATABASE, dropDataSource, migratedDataSource } from '../support/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The nodes' meeting point on a real PostgreSQL: change notices from the triggers, the
 * leader lock held by a session, terms and fencing, cross-node locks, liveness by session.
 * Several nodes need PostgreSQL, so this suite runs in the PostgreSQL pass only.
 */
describe.skipIf(TEST_DATABASE !== 'postgres')('Cluster state on PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-cluster-state-'));
  let source: DataSource;
  let state: TypeOrmClusterState;
  const buses: PostgresClusterBus[] = [];

  function node(name: string) {
    const bus = new PostgresClusterBus(source, name);
    buses.push(bus);
    const notices: string[] = [];
    let connected = 0;
    let lost = 0;
    const events: ClusterBusEvents = {
      notice: (payload) => notices.push(payload),
      connected: () => connected++,
      lost: () => lost++,
    };
    const options = { cluster: { node: name } } as unknown as ResolvedMtaStsOptions;
    const leadership = new Leadership(options, bus, state);
    return { bus, events, notices, leadership, connections: () => connected, losses: () => lost };
  }

  const waitUntil = async (what: string, check: () => boolean | Promise<boolean>) => {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  };

  /** Ends a node's session from the server side, as when its machine dies. */
  async function cut(name: string): Promise<void> {
    await source.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
      sessionName(name),
    ]);
  }

  beforeAll(async () => {
    source = await migratedDataSource(dir);
    state = new TypeOrmClusterState(source);
  });

  afterAll(async () => {
    for (const bus of buses) await bus.close();
    await dropDataSource(dir, source);
  });

  it('sends a notice when what nodes serve changes, and none for other writes', async () => {
    const a = node('notices');
    a.bus.open(a.events);
    await waitUntil('the session', () => a.bus.connected);
    await source.query(
      `INSERT INTO "mta_sts_domains" ("name", "unicodeName", "mode", "state", "maxAge", "mx") VALUES ('n.example', 'n.example', 'testing', 'inactive', 86400, '[]')`,
    );
    await source.query(`UPDATE "mta_sts_domains" SET "badge" = 'grey' WHERE "name" = 'n.example'`);
    await source.query(`UPDATE "mta_sts_domains" SET "state" = 'provisioning' WHERE "name" = 'n.example'`);
    await state.putCertificate('n.example', { sealed: 'v1:x', digest: 'a'.repeat(64) });
    // The same bundle again changes nothing, and sends nothing.
    await state.putCertificate('n.example', { sealed: 'v1:y', digest: 'a'.repeat(64) });
    await state.addChallenge('tok', 'tok.key');
    await state.removeChallenge('tok');
    await waitUntil('the notices', () => a.notices.length >= 5);
    await sleep(200);
    expect(a.notices).toEqual([
      'domain:n.example',
      'domain:n.example',
      'certificate:n.example',
      'challenge:tok',
      'challenge:tok',
    ]);
  });

  it('lets one session lead; a new term when it ends; a former leader is fenced out', async () => {
    const a = node('lead-a');
    const b = node('lead-b');
    a.bus.open(a.events);
    b.bus.open(b.events);
    await waitUntil('both sessions', () => a.bus.connected && b.bus.connected);
    await a.leadership.poll();
    await b.leadership.poll();
    expect(a.leadership.leads()).toBe(true);
    expect(b.leadership.leads()).toBe(false);
    const first = a.leadership.term()!;
    await expect(a.leadership.assertCurrent()).resolves.toBeUndefined();

    // A's turn records progress; then its session is cut (its machine paused or died).
    const turnsA = new SweepTurns(() => 0.5, a.leadership, state);
    const turnA = (await turnsA.scheduled('checks'))!;
    expect(await state.sweepProgress('checks', first, 5, false)).toBe(true);
    await cut('lead-a');
    await waitUntil('A to notice', () => a.losses() > 0);
    a.leadership.lost();
    await b.leadership.poll();
    expect(b.leadership.leads()).toBe(true);
    const second = b.leadership.term()!;
    expect(second).toBeGreaterThan(first);
    expect((await state.currentTerm()).holder).toBe('lead-b');

    // B takes over the unfinished sweep from where A recorded it.
    const turnsB = new SweepTurns(() => 0.5, b.leadership, state);
    expect(await turnsB.unfinished('checks')).toBe(5);
    const turnB = (await turnsB.scheduled('checks', 5))!;
    expect(turnB.after).toBe(5);

    // A, still believing in its term, is refused: no progress, no renewal order.
    expect(await state.sweepProgress('checks', first, 50, true)).toBe(false);
    expect(turnA.current).toBe(false);
    const stale = new Leadership({ cluster: { node: 'lead-a' } } as unknown as ResolvedMtaStsOptions, a.bus, state);
    await expect(stale.assertCurrent()).rejects.toBeInstanceOf(FencedOut);
    const mark = await state.sweep('checks');
    expect(mark).toMatchObject({ epoch: second, doneThrough: 5, finishedAt: null });

    // A's session comes back by itself, and A does not lead again while B does.
    await waitUntil('A to reconnect', () => a.connections() > 1 && a.bus.connected);
    await a.leadership.poll();
    expect(a.leadership.leads()).toBe(false);
  });

  it('holds a lock across sessions: a second holder waits or is told it is taken', async () => {
    const a = node('lock-a');
    const b = node('lock-b');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const first = a.bus.withLock('enable:x.example', false, async () => {
      order.push('a starts');
      await held;
      order.push('a ends');
    });
    await waitUntil('A to hold it', () => order.length === 1);
    expect(await b.bus.withLock('enable:x.example', false, async () => 'b')).toEqual({ held: false });
    const waiting = b.bus.withLock('enable:x.example', true, async () => order.push('b runs'));
    await sleep(100);
    expect(order).toEqual(['a starts']);
    release();
    await first;
    await waiting;
    expect(order).toEqual(['a starts', 'a ends', 'b runs']);
  });

  it('counts a node as live while its session is there and it was seen lately', async () => {
    const a = node('live-a');
    a.bus.open(a.events);
    await waitUntil('the session', () => a.bus.connected);
    await state.heartbeat('live-a', ['192.0.2.1'], new Date());
    await state.heartbeat('gone-b', ['192.0.2.2'], new Date());
    const alive = async () => Object.fromEntries((await state.nodes(15)).map((row) => [row.name, row.alive] as const));
    expect(await alive()).toMatchObject({ 'live-a': true, 'gone-b': false });
    await cut('live-a');
    await waitUntil('A to be gone', async () => (await alive())['live-a'] === false);
    await state.removeNode('gone-b');
    expect((await state.nodes(15)).map((row) => row.name)).not.toContain('gone-b');
  });

  it('keeps challenge acknowledgements only for answers that exist', async () => {
    await state.addChallenge('tok2', 'tok2.key');
    await state.acknowledge('tok2', 'n1');
    await state.acknowledge('tok2', 'n1');
    await state.acknowledge('missing', 'n1');
    expect(await state.acknowledgements('tok2')).toEqual(['n1']);
    expect(await state.acknowledgements('missing')).toEqual([]);
    await state.removeChallenge('tok2');
    expect(await state.acknowledgements('tok2')).toEqual([]);
    // Raw client: the rows are gone, not only hidden.
    const client = new Client({ connectionString: (source.options as { url: string }).url });
    await client.connect();
    try {
      expect((await client.query('SELECT * FROM "mta_sts_challenge_acks"')).rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });
});
