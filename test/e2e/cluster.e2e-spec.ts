import { Client } from 'pg';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { ClusterLab, ClusterNodeProcess } from '../support/cluster-lab';

const root = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    // Every node says it serves the same policy with the same certificate.
    const served = await sql<{ node: string; policyId: string; certDigest: string }>(
      `SELECT "node", "policyId", "certDigest" FROM "mta_sts_node_domains" WHERE "domain" = 'one.example' ORDER BY "node"`,
    );
    expect(served.map((row) => row.node)).toEqual(['a', 'b', 'c']);
    expect(new Set(served.map((row) => `${row.policyId} ${row.certDigest}`)).size).toBe(1);
    // The key is sealed in the database, never in the clear.
    const [shared] = await sql<{ sealed: string }>(
      `SELECT "sealed" FROM "mta_sts_shared_certificates" WHERE "domain" = 'one.example'`,
    );
    expect(shared.sealed.startsWith('v1:')).toBe(true);
    expect(shared.sealed).not.toContain('PRIVATE KEY');
  }, 240_000);

  it('answers a second click on another node without a second order', async () => {
    const issued = lab.issuedCertificates();
    await enableOn(b, 'two.example');
    // Clicked again on another node while it runs: the answer shows it running, nothing starts.
    const again = await c.api<DomainView>('POST', '/api/domains/two.example/enable');
    expect([200, 202]).toContain(again.status);
    expect(['provisioning', 'active']).toContain(again.body.state);
    await active(c, 'two.example');
    await servedEverywhere('two.example');
    expect(lab.issuedCertificates() - issued).toBe(1);
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
});
