import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { ClusterLab, ClusterNodeProcess } from '../support/cluster-lab';

const root = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Domains added straight into the database for the sweep. */
const SEEDED = 800;

/**
 * Several nodes on one PostgreSQL database, each in a network namespace of its own with
 * its own nginx and panel (`node dist/main.js`), one Pebble that validates HTTP-01 against
 * whichever node's address it picks, and one DNS server that answers `mta-sts.<domain>`
 * with every node's address. Nodes are killed with SIGKILL, the database is stopped:
 * nothing stops serving, nothing is issued twice, nothing is lost.
 */
describe.skipIf(!root)('Several nodes on one database', () => {
  let lab: ClusterLab;
  let a: ClusterNodeProcess;
  let b: ClusterNodeProcess;
  let c: ClusterNodeProcess;
  let db: Client;

  const view = async (node: ClusterNodeProcess, domain: string) => {
    const answer = await node.api<DomainView>('GET', `/api/domains/${domain}`);
    if (answer.status !== 200) throw new Error(`GET ${domain} on ${node.name}: ${answer.status}`);
    return answer.body;
  };
  const sql = async <T>(text: string, values: unknown[] = []) => (await db.query(text, values)).rows as T[];
  const leaderName = async () => (await sql<{ holder: string }>(`SELECT "holder" FROM "mta_sts_leadership"`))[0].holder;
  const live = () => lab.nodes.filter((node) => node.alive);

  /** What one node serves for the domain over HTTPS, as a sender sees it. */
  const policyAt = (node: ClusterNodeProcess, domain: string) =>
    lab.fetchHttps(node, `mta-sts.${domain}`, '/.well-known/mta-sts.txt');

  async function enableOn(node: ClusterNodeProcess, domain: string): Promise<void> {
    await lab.publishDomain(domain);
    const added = await node.api('POST', '/api/domains', { domain });
    expect(added.status).toBe(201);
    const enabled = await node.api<{ started: boolean }>('POST', `/api/domains/${domain}/enable`);
    expect(enabled.status).toBe(202);
  }

  /** Waits for the domain to become active; fails at once with its error when Enable fails. */
  async function active(node: ClusterNodeProcess, domain: string): Promise<void> {
    await lab.until(
      `${domain} to be active`,
      async () => {
        const current = await view(node, domain);
        if (current.state === 'error') throw new Error(`${domain} failed: ${JSON.stringify(current.error)}`);
        return current.state === 'active';
      },
      120_000,
    );
  }

  async function servedEverywhere(domain: string, nodes = live()): Promise<string> {
    const text = (await view(nodes[0], domain)).policy!.text;
    await lab.until(`every node to serve ${domain}`, async () => {
      for (const node of nodes) {
        const answer = await policyAt(node, domain).catch(() => undefined);
        if (answer?.status !== 200 || answer.body !== text) return false;
      }
      return true;
    });
    return text;
  }

  /** The test's own look into the database (stopping the server ends it without a fuss). */
  async function connectDatabase(): Promise<Client> {
    const client = new Client({ connectionString: lab.databaseUrl });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  beforeAll(async () => {
    lab = await ClusterLab.start(['a', 'b', 'c']);
    [a, b, c] = lab.nodes;
    for (const node of lab.nodes) await node.start();
    db = await connectDatabase();
    await lab.until(
      'a leader',
      async () => (await sql(`SELECT 1 FROM "mta_sts_leadership" WHERE "holder" IS NOT NULL`)).length === 1,
    );
  }, 240_000);

  afterAll(async () => {
    await db?.end().catch(() => undefined);
    await lab?.stop();
  }, 120_000);

  it('serves a domain enabled on one node from every node, with one certificate', async () => {
    const issued = lab.issuedCertificates();
    const orders = lab.orders();
    await enableOn(a, 'one.example');
    await active(a, 'one.example');
    const text = await servedEverywhere('one.example');
    expect(text).toContain('version: STSv1');
    // curl with Pebble's root, as an admin checks each node by hand.
    for (const node of lab.nodes)
      expect(await lab.curl(node, 'mta-sts.one.example', '/.well-known/mta-sts.txt')).toBe(text);
    // The admin publishes the id; then an independent sender-side client, resolving
    // through the lab's DNS to any node, finds the policy.
    const id = (await view(b, 'one.example')).policy!.id;
    await lab.dnsmasq.update({ txt: { '_mta-sts.one.example': [`v=STSv1; id=${id}`] } });
    expect(await lab.mtaStsQuery('one.example')).toContain('testing');
    expect(lab.issuedCertificates() - issued).toBe(1);
    expect(lab.orders() - orders).toBe(1);
    // Every node says it serves the same policy with the same certificate.
    const served = await sql<{ node: string; policyId: string; certDigest: string }>(
      `SELECT "node", "policyId", "certDigest" FROM "mta_sts_node_domains" WHERE "domain" = 'one.example' ORDER BY "node"`,
    );
    expect(served.map((row) => row.node)).toEqual(['a', 'b', 'c']);
    expect(new Set(served.map((row) => `${row.policyId} ${row.certDigest}`)).size).toBe(1);
    // The card lists an address record per node, and the checks accept every node's address.
    // (A node's list of the others is at most a few seconds old.)
    const everyAddress = lab.nodes
      .map((node) => node.address)
      .sort()
      .join(' ');
    await lab.until('the card to list every node', async () => {
      const records = (await view(b, 'one.example')).records.filter((record) => record.type === 'A');
      return (
        records
          .map((record) => record.value)
          .sort()
          .join(' ') === everyAddress
      );
    });
    const checked = await b.api<DomainView>('POST', '/api/domains/one.example/checks');
    expect(checked.body.checks.find((check) => check.check === 'dns')).toMatchObject({ status: 'pass' });
    // The checks fetch the policy from every node's address: one node serving another text
    // (its file changed behind the panel's back) is caught from any node.
    const file = join(c.dataDir, 'policies', 'one.example.txt');
    writeFileSync(file, text.replace('mode: testing', 'mode: enforce'));
    try {
      const tampered = await a.api<DomainView>('POST', '/api/domains/one.example/checks');
      expect(tampered.body.checks.find((check) => check.check === 'https')?.status).toBe('fail');
    } finally {
      writeFileSync(file, text);
    }
    // The card's API says the same: every node in sync, one of them the leader.
    const nodes = await c.api<Array<{ node: string; sync: string; leader: boolean }>>(
      'GET',
      '/api/domains/one.example/nodes',
    );
    expect(nodes.status).toBe(200);
    expect(nodes.body.map((node) => [node.node, node.sync])).toEqual([
      ['a', 'in-sync'],
      ['b', 'in-sync'],
      ['c', 'in-sync'],
    ]);
    expect(nodes.body.filter((node) => node.leader)).toHaveLength(1);
    // The key is sealed in the database, never in the clear.
    const [shared] = await sql<{ sealed: string }>(
      `SELECT "sealed" FROM "mta_sts_shared_certificates" WHERE "domain" = 'one.example'`,
    );
    expect(shared.sealed.startsWith('v1:')).toBe(true);
    expect(shared.sealed).not.toContain('PRIVATE KEY');
  }, 240_000);

  it('answers a second click on another node without a second order', async () => {
    const issued = lab.issuedCertificates();
    const orders = lab.orders();
    await enableOn(b, 'two.example');
    // Clicked again on another node while it runs: the answer shows it running, nothing starts.
    const again = await c.api<DomainView>('POST', '/api/domains/two.example/enable');
    expect([200, 202]).toContain(again.status);
    expect(['provisioning', 'active']).toContain(again.body.state);
    await active(c, 'two.example');
    await servedEverywhere('two.example');
    expect(lab.issuedCertificates() - issued).toBe(1);
    expect(lab.orders() - orders).toBe(1);
  }, 240_000);

  it('reports each node on /healthz, one of them the leader', async () => {
    const leader = await leaderName();
    for (const node of lab.nodes) {
      const health = await node.health();
      expect(health.status).toBe(200);
      expect(health.body.cluster).toMatchObject({
        ok: true,
        node: node.name,
        leader: node.name === leader,
        serving: true,
      });
    }
  });

  it('keeps serving while the database is stopped, and follows it again once it is back', async () => {
    await lab.postgres.pause();
    try {
      for (const node of lab.nodes) {
        expect((await policyAt(node, 'one.example')).status).toBe(200);
        const health = await node.health();
        expect(health.status).toBe(503);
        expect(health.body.cluster).toMatchObject({ ok: false, serving: true });
        expect(String((health.body.cluster as { problem: string }).problem)).toContain('keeps serving');
      }
      await sleep(3_000);
      for (const node of lab.nodes) expect((await policyAt(node, 'two.example')).status).toBe(200);
    } finally {
      await lab.postgres.resume();
    }
    await db.end().catch(() => undefined);
    db = await connectDatabase();
    await lab.until('every node to follow the database again', async () => {
      for (const node of lab.nodes) if ((await node.health()).status !== 200) return false;
      return true;
    });
    // A change made now reaches every node.
    const changed = await a.api('POST', '/api/domains/one.example/max-age', { maxAge: 86_400 });
    expect(changed.status).toBeLessThan(300);
    const text = (await view(b, 'one.example')).policy!.text;
    expect(text).toContain('max_age: 86400');
    await servedEverywhere('one.example');
  }, 240_000);

  it('finishes an Enable whose node was killed in the middle, and issues one certificate', async () => {
    const leader = await leaderName();
    const victim = lab.nodes.find((node) => node.name !== leader && node.alive)!;
    const issued = lab.issuedCertificates();
    const orders = lab.orders();
    // The name points at the two nodes that stay: the CA asks one of them for the answer
    // to an order the victim placed (a CA does not try another address when one fails).
    const others = lab.nodes.filter((node) => node !== victim && node.alive);
    await lab.publishDomain('three.example', others);
    expect((await victim.api('POST', '/api/domains', { domain: 'three.example' })).status).toBe(201);
    const enabling = victim.api('POST', '/api/domains/three.example/enable').catch(() => undefined);
    // Killed (panel and nginx, as a machine that fails) before the certificate is ordered.
    let step: string | null = null;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const [row] = await sql<{ step: string | null }>(
        `SELECT "step" FROM "mta_sts_domains" WHERE "name" = 'three.example'`,
      );
      step = row?.step ?? null;
      if (step !== null) break;
      await sleep(5);
    }
    await victim.kill();
    await victim.nginx.stop();
    await enabling;
    expect(['policy-file', 'http-vhost', 'dns-check', 'http-probe']).toContain(step);
    await active(others[0], 'three.example');
    await servedEverywhere('three.example', others);
    expect(lab.issuedCertificates() - issued).toBe(1);
    expect(lab.orders() - orders).toBe(1);
    const whileDown = await others[0].api<Array<{ node: string; sync: string }>>(
      'GET',
      '/api/domains/three.example/nodes',
    );
    expect(whileDown.body.find((node) => node.node === victim.name)?.sync).toBe('down');
    // The failed machine comes back and serves it too, from the database.
    await victim.nginx.start();
    await victim.start();
    await servedEverywhere('three.example', lab.nodes);
    await lab.until('every node to be in sync again', async () => {
      const answer = await victim.api<Array<{ sync: string }>>('GET', '/api/domains/three.example/nodes');
      return answer.body.every((node) => node.sync === 'in-sync');
    });
  }, 240_000);

  it('replaces a leader killed in a sweep, and the sweep goes on where it stopped', async () => {
    // Many more domains, copied from one.example in the database, so a sweep lasts a while.
    const columns = (
      await sql<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'mta_sts_domains'
         AND column_name NOT IN ('id', 'name', 'unicodeName', 'createdAt', 'updatedAt')`,
      )
    ).map((row) => `"${row.column_name}"`);
    await sql(
      `INSERT INTO "mta_sts_domains" ("name", "unicodeName", ${columns.join(', ')})
       SELECT 'seed' || lpad(g::text, 4, '0') || '.example', 'seed' || lpad(g::text, 4, '0') || '.example', ${columns.map((column) => `d.${column}`).join(', ')}
       FROM "mta_sts_domains" d, generate_series(1, ${SEEDED}) g WHERE d."name" = 'one.example'`,
    );
    const seeded = await sql<{ id: number }>(
      `SELECT "id" FROM "mta_sts_domains" WHERE "name" LIKE 'seed%' ORDER BY "id"`,
    );
    const leader = lab.node(await leaderName());
    const started = Date.now();
    const sweep = leader.api('POST', '/api/checks', undefined, 600_000).catch(() => undefined);
    // Killed once it has recorded some progress, well before the end.
    let mark = 0;
    await lab.until('the sweep to record progress', async () => {
      const [row] = await sql<{ doneThrough: number }>(
        `SELECT "doneThrough" FROM "mta_sts_sweeps" WHERE "job" = 'checks'`,
      );
      mark = Number(row?.doneThrough ?? 0);
      return mark > 0;
    });
    const killedAt = Date.now();
    await leader.kill();
    await sweep;
    expect(mark).toBeLessThan(seeded[seeded.length - 1].id);
    // Another node leads within the poll interval, and finishes the sweep from the mark.
    await lab.until('another leader', async () => (await leaderName()) !== leader.name, 30_000);
    await lab.until(
      'the sweep to finish',
      async () =>
        (await sql(`SELECT 1 FROM "mta_sts_sweeps" WHERE "job" = 'checks' AND "finishedAt" IS NOT NULL`)).length === 1,
      300_000,
    );
    const newLeader = lab.node(await leaderName());
    expect(newLeader.logText()).toContain(`Resuming the checks sweep the previous leader left after domain #${mark}.`);
    const observed = await sql<{ domainId: number; last: Date }>(
      `SELECT "domainId", MAX("observedAt") AS "last" FROM "mta_sts_checks" GROUP BY "domainId"`,
    );
    const last = new Map(observed.map((row) => [Number(row.domainId), new Date(row.last).getTime()]));
    for (const { id } of seeded) {
      // Every domain was checked in this sweep, and those before the mark only before the kill.
      expect(last.get(id), `domain #${id}`).toBeGreaterThanOrEqual(started - 1_000);
      if (id <= mark) expect(last.get(id), `domain #${id}`).toBeLessThan(killedAt + 1_000);
    }
    await leader.start();
  }, 600_000);

  it('removes a node that is gone for good, and stops expecting its address', async () => {
    const gone = c;
    const keeper = lab.nodes.find((node) => node.alive && node !== gone)!;
    expect((await keeper.api('DELETE', `/api/nodes/${gone.name}`)).status).toBe(409);
    await gone.stop();
    await gone.nginx.stop();
    await lab.until(
      'the node to be removed',
      async () => (await keeper.api('DELETE', `/api/nodes/${gone.name}`)).status === 204,
    );
    const nodes = await keeper.api<Array<{ name: string }>>('GET', '/api/nodes');
    expect(nodes.body.map((node) => node.name)).not.toContain(gone.name);
    await lab.until(
      'the records to leave the node out',
      async () => {
        const records = (await view(keeper, 'one.example')).records.filter((record) => record.type === 'A');
        return !records.some((record) => record.value === gone.address) && records.length === 2;
      },
      30_000,
    );
  }, 120_000);
});
