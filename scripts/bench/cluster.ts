/**
 * Several nodes: how long a change made on one node takes to be served by another, and
 * what a node's comparison with the database costs at N domains (the first pass of a new
 * node, which writes every domain's files, and a steady pass, which finds nothing to do).
 * Two nodes in network namespaces on one PostgreSQL (test/support/cluster-lab.ts).
 */
import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { nextPolicyIdentity, NO_POLICY_IDENTITY } from '../../src/mta-sts/domain/policy-id';
import { describeCertificate } from '../../src/mta-sts/domain/certificate';
import { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS, MtaStsDomainEntity } from '../../src/mta-sts/persistence';
import { bundleDigest, seal } from '../../src/mta-sts/services/cluster/sealing';
import { ClusterLab, ClusterNodeProcess } from '../../test/support/cluster-lab';
import { TestCa } from '../../test/support/test-ca';
import { httpsGet } from '../../test/support/https-get';
import { percentile } from './measure';

export interface ClusterResult {
  readonly domains: number;
  /** The first comparison of a node that joins: every domain's files written (ms). */
  readonly firstPassMs: number;
  /** A comparison that finds every domain in line (ms). */
  readonly steadyPassMs: number;
  /** A policy change on node a until node b serves it over HTTPS (ms). */
  readonly propagationMs: readonly number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GET the policy from one node with SNI (the certificate is not checked: this measures time, not trust). */
async function policyAt(node: ClusterNodeProcess, host: string): Promise<string> {
  const path = '/.well-known/mta-sts.txt';
  return (await httpsGet({ address: node.address, port: 443, host, path, ca: undefined })).body;
}

async function health(node: ClusterNodeProcess): Promise<{ reconciledAt?: string; reconcileMs?: number }> {
  const response = await fetch(`${node.url}/healthz`);
  return ((await response.json()) as { cluster?: { reconciledAt?: string; reconcileMs?: number } }).cluster ?? {};
}

/** The next comparison of `node` after `after` (ISO time), as its /healthz reports it. */
async function nextPass(node: ClusterNodeProcess, after: string | undefined, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const cluster = await health(node).catch(() => ({}) as { reconciledAt?: string; reconcileMs?: number });
    if (cluster.reconciledAt && cluster.reconciledAt !== after && cluster.reconcileMs !== undefined) {
      return cluster.reconcileMs;
    }
    await sleep(200);
  }
  throw new Error(`${node.name} did not compare its files with the database within ${ms} ms`);
}

export async function runClusterBenchmark(
  options: { domains: number; changes: number },
  log: (line: string) => void,
): Promise<ClusterResult> {
  const { domains } = options;
  log(`[cluster ${domains}] two nodes in network namespaces, PostgreSQL, nginx each`);
  const lab = await ClusterLab.start(['a', 'b'], {
    MTA_STS_CLUSTER_RECONCILE_SECONDS: '10',
    // The bench changes policies itself; no sweep runs meanwhile.
    MTA_STS_CHECK_CRON: '0 0 0 1 1 *',
  });
  try {
    log(`[cluster ${domains}] ${domains} active domains with sealed certificates in the database`);
    const source = new DataSource({
      type: 'postgres',
      url: lab.databaseUrl,
      entities: MTA_STS_ENTITIES,
      migrations: MTA_STS_MIGRATIONS,
    });
    await source.initialize();
    await source.runMigrations();
    const ca = await TestCa.create('Bench CA');
    const pair = await ca.issue(['mta-sts.bench.test']);
    const info = describeCertificate(pair.certificatePem);
    const bundle = `${pair.certificatePem.trim()}\n${pair.privateKeyPem.trim()}\n`;
    const key = Buffer.from(readFileSync(lab.keyFile, 'utf8').trim(), 'base64');
    const identity = nextPolicyIdentity(
      NO_POLICY_IDENTITY,
      { mode: 'testing', mx: ['mx.bench.test'], maxAge: 604_800 },
      new Date(),
    );
    const names = Array.from({ length: domains }, (_, index) => `c${String(index).padStart(6, '0')}.bench.test`);
    const rows: Partial<MtaStsDomainEntity>[] = names.map((name) => ({
      name, unicodeName: name, state: 'active', badge: 'active', mode: 'testing', maxAge: 604_800, mx: ['mx.bench.test'],
      ...identity, servedPolicyId: identity.policyId, certIssuer: info.issuer, certNotBefore: info.notBefore,
      certNotAfter: info.notAfter, enabledAt: new Date(), renewFailures: 0, reissues: [],
    })); // prettier-ignore
    await source.getRepository(MtaStsDomainEntity).save(rows, { chunk: 500 });
    const digest = bundleDigest(bundle);
    for (let start = 0; start < names.length; start += 500) {
      const chunk = names.slice(start, start + 500);
      const values = chunk.map((_, i) => `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3}, now())`).join(', ');
      await source.query(
        `INSERT INTO "mta_sts_shared_certificates" ("domain", "sealed", "digest", "updatedAt") VALUES ${values}`,
        chunk.flatMap((name) => [name, seal(key, name, bundle), digest]),
      );
    }
    await source.destroy();

    const [a, b] = lab.nodes;
    log(`[cluster ${domains}] node a starts and writes every domain's files`);
    await a.start();
    const firstPassMs = await nextPass(a, undefined, 600_000);
    log(`[cluster ${domains}] first pass ${firstPassMs} ms; node b starts`);
    await b.start();
    await nextPass(b, undefined, 600_000);
    const before = (await health(a)).reconciledAt;
    const steadyPassMs = await nextPass(a, before, 60_000);
    log(`[cluster ${domains}] steady pass ${steadyPassMs} ms`);

    const propagationMs: number[] = [];
    {
      for (let i = 0; i < options.changes; i++) {
        const name = names[(i * 7919) % names.length];
        const maxAge = 86_400 * (2 + i);
        const started = Date.now();
        const answer = await a.api('POST', `/api/domains/${name}/max-age`, { maxAge });
        if (answer.status >= 300)
          throw new Error(`max-age on ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
        const deadline = started + 30_000;
        for (;;) {
          const text = await policyAt(b, `mta-sts.${name}`).catch(() => '');
          if (text.includes(`max_age: ${maxAge}`)) break;
          if (Date.now() > deadline) throw new Error(`b did not serve the change of ${name} within 30 s`);
          await sleep(5);
        }
        propagationMs.push(Date.now() - started);
      }
    }
    log(
      `[cluster ${domains}] a change on a served by b after ${propagationMs.join(', ')} ms (median ${percentile(propagationMs, 50)})`,
    );
    return { domains, firstPassMs, steadyPassMs, propagationMs };
  } finally {
    await lab.stop();
  }
}

export function clusterTable(results: readonly ClusterResult[]): string {
  const header =
    '| domains | a change on one node served by another: median / max (ms) | a new node writes every domain (s) | steady comparison with the database (s) |';
  const rule = '| --- | --- | --- | --- |';
  const rows = results.map(
    (r) =>
      `| ${r.domains} | ${percentile(r.propagationMs, 50)} / ${Math.max(...r.propagationMs)} | ${(r.firstPassMs / 1000).toFixed(1)} | ${(r.steadyPassMs / 1000).toFixed(2)} |`,
  );
  return [header, rule, ...rows].join('\n');
}
